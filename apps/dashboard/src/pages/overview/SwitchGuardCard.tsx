import type { SwitchGuardStatus } from '@sfp/schemas'
import { GuardCountdown } from '../../components/GuardCountdown.js'
import { RelativeTime } from '../../components/RelativeTime.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import { useExplain } from '../../i18n/useExplain.js'
import { KeyReference } from '../../key-directory/KeyReference.js'

interface SwitchGuardCardProps {
  guard: SwitchGuardStatus
  clockOffsetMs: number
}

export function SwitchGuardCard({ guard, clockOffsetMs }: SwitchGuardCardProps) {
  const { t, format } = useI18n()
  const explain = useExplain()
  const { blocked } = guard
  return (
    <section className="card" aria-labelledby="guard-title">
      <h2 id="guard-title" className="card__title">
        {t('guard.title')}
      </h2>
      {blocked && (
        <div className="notice notice--warning" role="alert">
          <strong>
            {t('guard.blocked')}: {t(`guard.blocked.${blocked.code}` as const)}
          </strong>
          {blocked.retryAfterSeconds !== null && (
            <> · {t('guard.retryIn', { seconds: blocked.retryAfterSeconds })}</>
          )}
          <div className="notice__detail">{explain(blocked.explanation, blocked.message)}</div>
        </div>
      )}
      <p className="card__note">
        {guard.minutes > 0 ? t('guard.explain', { minutes: guard.minutes }) : t('guard.off')}
      </p>
      <dl className="facts">
        <dt>{t('guard.policy')}</dt>
        <dd>{t(`guard.policy.${guard.policy}` as const)}</dd>
        <dt>{t('guard.nextSwitch')}</dt>
        <dd>
          <GuardCountdown until={guard.nextSwitchAllowedAt} clockOffsetMs={clockOffsetMs} />
          {guard.nextSwitchAllowedAt && (
            <span className="muted"> ({format.dateTime(guard.nextSwitchAllowedAt)})</span>
          )}
        </dd>
        <dt>{t('guard.lastUsed')}</dt>
        <dd>
          <KeyReference keyId={guard.lastUsedKeyId} />{' '}
          {guard.lastUsedAt && <RelativeTime iso={guard.lastUsedAt} />}
        </dd>
        <dt>{t('guard.lastSwitch')}</dt>
        <dd>
          <RelativeTime iso={guard.lastSwitchAt} />
        </dd>
      </dl>
    </section>
  )
}
