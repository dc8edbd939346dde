import { useNow } from '../hooks/useNow.js'
import { formatCountdown } from '../i18n/format.js'
import { useI18n } from '../i18n/I18nProvider.js'

interface GuardCountdownProps {
  /** `nextSwitchAllowedAt` from the status (server time). */
  until: string | null
  /** Server clock minus browser clock. */
  clockOffsetMs?: number
}

/** Ticks every second down to the end of the switch-guard window, then says a switch is allowed. */
export function GuardCountdown({ until, clockOffsetMs = 0 }: GuardCountdownProps) {
  const { t } = useI18n()
  const untilMs = until === null ? Number.NaN : Date.parse(until)
  const pending = Number.isFinite(untilMs) && untilMs > Date.now() + clockOffsetMs
  const now = useNow(1000, pending) + clockOffsetMs
  const remaining = Number.isFinite(untilMs) ? untilMs - now : 0
  if (remaining <= 0) return <span className="countdown countdown--ready">{t('guard.ready')}</span>
  return (
    <span className="countdown">
      <span className="sr-only">{t('guard.countdownLabel')} </span>
      {/* role=timer is not announced every second; the label above gives it meaning. */}
      <span role="timer" className="countdown__value">
        {formatCountdown(remaining)}
      </span>
    </span>
  )
}
