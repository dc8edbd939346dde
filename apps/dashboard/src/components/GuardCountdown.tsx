import { useNow } from '../hooks/useNow.js'
import { formatCountdown } from '../i18n/format.js'
import { useI18n } from '../i18n/I18nProvider.js'

interface GuardCountdownProps {
  /** `nextSwitchAllowedAt` from the status (server time); any server time for other waits. */
  until: string | null
  /** Server clock minus browser clock. */
  clockOffsetMs?: number
  /** What the time counts down to, for screen readers; the switch guard's by default. */
  label?: string
  /** Show the label before the time instead of only telling screen readers. */
  showLabel?: boolean
  /** Shown once the time has come; "a switch is allowed now" by default. */
  readyText?: string
}

/**
 * Ticks every second down to the end of the switch-guard window (or another server time, such as
 * the end of an egress's IP block), then says so.
 */
export function GuardCountdown({
  until,
  clockOffsetMs = 0,
  label,
  showLabel = false,
  readyText,
}: GuardCountdownProps) {
  const { t } = useI18n()
  const untilMs = until === null ? Number.NaN : Date.parse(until)
  const pending = Number.isFinite(untilMs) && untilMs > Date.now() + clockOffsetMs
  const now = useNow(1000, pending) + clockOffsetMs
  const remaining = Number.isFinite(untilMs) ? untilMs - now : 0
  if (remaining <= 0) {
    return <span className="countdown countdown--ready">{readyText ?? t('guard.ready')}</span>
  }
  return (
    <span className="countdown">
      <span className={showLabel ? 'countdown__label' : 'sr-only'}>
        {label ?? t('guard.countdownLabel')}{' '}
      </span>
      {/* role=timer is not announced every second; the label above gives it meaning. */}
      <span role="timer" className="countdown__value">
        {formatCountdown(remaining)}
      </span>
    </span>
  )
}
