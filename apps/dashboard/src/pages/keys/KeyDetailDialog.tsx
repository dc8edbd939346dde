import type { KeyView } from '@sfp/schemas'
import { useAdminApi } from '../../auth/SessionProvider.js'
import { Dialog } from '../../components/Dialog.js'
import { ErrorNotice } from '../../components/ErrorNotice.js'
import { KeyEventList } from '../../components/KeyEventList.js'
import { RelativeTime } from '../../components/RelativeTime.js'
import { StatusBadge } from '../../components/StatusBadge.js'
import { useApiResource } from '../../hooks/useApiResource.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import { useExplain } from '../../i18n/useExplain.js'
import { EgressReference } from '../../live-status/EgressReference.js'
import { KeyActions } from './KeyActions.js'
import { KeyBalanceForm } from './KeyBalanceForm.js'
import { KeyLabelForm } from './KeyLabelForm.js'

/** Everything about one key: its fields, label, actions and recent events. */
export function KeyDetailDialog({ keyView: key, onClose }: { keyView: KeyView; onClose(): void }) {
  const { t, format } = useI18n()
  const explain = useExplain()
  const api = useAdminApi()
  const events = useApiResource(
    (signal) => api.keyEvents({ keyId: key.id, limit: 20 }, signal),
    [api, key.id, key.status, key.isCurrent, key.balanceCheckedAt],
  )
  return (
    <Dialog title={t('key.details', { id: key.id })} onClose={onClose} size="large">
      <p className="key-detail__head">
        <code>{key.maskedKey}</code> <StatusBadge status={key.status} />
        {key.isCurrent && <span className="tag tag--current">{t('key.inUse')}</span>}
      </p>
      <KeyActions keyView={key} onDeleted={onClose} />
      <KeyLabelForm keyView={key} />
      <KeyBalanceForm keyView={key} />
      <dl className="facts facts--two-columns">
        <dt>{t('col.balance')}</dt>
        <dd>
          {key.balance === null ? t('common.unknown') : format.money(key.balance)}{' '}
          {key.balanceCheckedAt && (
            <span className="muted">
              ({t('key.checkedAt')} <RelativeTime iso={key.balanceCheckedAt} />)
            </span>
          )}
        </dd>
        {key.spent !== null && (
          <>
            <dt>{t('key.spent')}</dt>
            <dd>
              {format.money(key.spent)}
              {key.estimatedBalance !== null && (
                <> · {t('key.estimated', { money: format.money(key.estimatedBalance) })}</>
              )}
            </dd>
          </>
        )}
        <dt>{t('col.calls')}</dt>
        <dd>{format.number(key.callCount)}</dd>
        <dt>{t('col.errors')}</dt>
        <dd>
          {format.number(key.errorCount)} ({t('key.consecutive', { count: key.consecutiveErrors })})
        </dd>
        <dt>{t('col.lastError')}</dt>
        <dd className="pre-wrap">{explain(key.lastErrorDetail, key.lastError) ?? '—'}</dd>
        <dt>{t('col.egress')}</dt>
        <dd>
          <EgressReference egressId={key.egressId} />
        </dd>
        <dt>{t('col.lastUsed')}</dt>
        <dd>
          <RelativeTime iso={key.lastUsedAt} />
        </dd>
        {key.cooldownUntil && (
          <>
            <dt>{t('col.status')}</dt>
            <dd>
              {t('key.coolingUntil', { time: format.fullDateTime(key.cooldownUntil) })}
              {key.rateLimitClass && <> · {t(`key.rateLimit.${key.rateLimitClass}`)}</>}
            </dd>
          </>
        )}
        {key.blockedModels.length > 0 && (
          <>
            <dt>{t('key.blockedModels')}</dt>
            <dd>
              {key.blockedModels.map((model, index) => (
                <span key={model}>
                  {index > 0 && ', '}
                  <code>{model}</code>
                </span>
              ))}
            </dd>
          </>
        )}
        <dt>{t('col.added')}</dt>
        <dd>{format.fullDateTime(key.createdAt)}</dd>
      </dl>
      <h3 className="section-title">{t('key.events')}</h3>
      <ErrorNotice error={events.error} />
      {events.data && <KeyEventList events={events.data.events} showKey={false} />}
    </Dialog>
  )
}
