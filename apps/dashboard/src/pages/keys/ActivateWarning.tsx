import { GuardCountdown } from '../../components/GuardCountdown.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import { useLiveStatus } from '../../live-status/LiveStatusProvider.js'

/**
 * What making a key current does under this server's switch-guard settings (from the live
 * status), how long the guard window still runs, and the risk the guard exists for.
 */
export function ActivateWarning() {
  const { t } = useI18n()
  const { status, clockOffsetMs } = useLiveStatus()
  const guard = status?.switchGuard
  let effect: string
  if (!guard) effect = t('key.activateEffect.unknown')
  else if (guard.minutes <= 0) effect = t('key.activateEffect.guardOff')
  else if (guard.policy === 'immediate') effect = t('key.activateEffect.immediate')
  else effect = t('key.activateEffect.override', { minutes: guard.minutes })
  return (
    <>
      <p>{effect}</p>
      {guard && guard.minutes > 0 && (
        <p>
          {t('key.activateTimeLeft')}{' '}
          <GuardCountdown until={guard.nextSwitchAllowedAt} clockOffsetMs={clockOffsetMs} />
        </p>
      )}
      <p>{t('key.activateRisk')}</p>
    </>
  )
}
