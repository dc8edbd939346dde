import type { ClientKeyView } from '@sfp/schemas'
import { useState } from 'react'
import { useAdminApi } from '../../auth/SessionProvider.js'
import { ConfirmDialog } from '../../components/ConfirmDialog.js'
import { ErrorNotice } from '../../components/ErrorNotice.js'
import { RelativeTime } from '../../components/RelativeTime.js'
import { useToast } from '../../components/ToastProvider.js'
import { useApiResource } from '../../hooks/useApiResource.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import { ClientUsage } from './ClientUsage.js'
import { CreateClientKeyForm } from './CreateClientKeyForm.js'
import { isExpired } from './client-key-draft.js'
import { EditClientKeyDialog } from './EditClientKeyDialog.js'
import './client-keys.css'

/** Keys for the proxy's own clients: create (shown once), list with limits and usage, edit, revoke. */
export function ClientKeysPage() {
  const { t, format } = useI18n()
  const api = useAdminApi()
  const toast = useToast()
  const list = useApiResource((signal) => api.clientKeys(signal), [api])
  const [revoking, setRevoking] = useState<ClientKeyView | null>(null)
  const [editing, setEditing] = useState<ClientKeyView | null>(null)
  // This browser's clock: the mark is a hint, the server refuses by its own (and the list is
  // read again after every change).
  const now = Date.now()
  const keys = list.data?.keys ?? []
  const imported = keys.filter((key) => key.origin === 'siliconflowProxy')

  return (
    <section className="page" aria-labelledby="client-keys-title">
      <h1 id="client-keys-title">{t('clientKeys.title')}</h1>
      <p className="muted">{t('clientKeys.intro')}</p>
      <CreateClientKeyForm onCreated={list.reload} />
      <ErrorNotice error={list.error} />
      {list.data && list.data.envKeyCount > 0 && (
        <p className="notice notice--info">
          {t('clientKeys.envKeys', { count: list.data.envKeyCount })}
        </p>
      )}
      {imported.map((key) => (
        <p key={key.id} className="notice notice--warning">
          {t('clientKeys.importedHint', { name: key.name })}
        </p>
      ))}
      {list.data && keys.length === 0 && <p>{t('clientKeys.empty')}</p>}
      {keys.length > 0 && (
        <div className="table-scroll">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">{t('clientKeys.col.name')}</th>
                <th scope="col">{t('clientKeys.col.prefix')}</th>
                <th scope="col">{t('clientKeys.col.created')}</th>
                <th scope="col">{t('clientKeys.col.lastUsed')}</th>
                <th scope="col" className="num">
                  {t('clientKeys.col.requests')}
                </th>
                <th scope="col">{t('clientKeys.col.limits')}</th>
                <th scope="col">{t('clientKeys.col.usage')}</th>
                <th scope="col">
                  <span className="sr-only">{t('col.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.map((key) => (
                <tr key={key.id}>
                  <td>
                    {key.name}
                    {key.origin === 'siliconflowProxy' && (
                      <>
                        {' '}
                        <span className="badge badge--imported">{t('clientKeys.imported')}</span>
                      </>
                    )}
                    {isExpired(key, now) && (
                      <>
                        {' '}
                        <span className="badge badge--expired">{t('clientKeys.expired')}</span>
                      </>
                    )}
                    {key.note !== null && <div className="muted client-key__note">{key.note}</div>}
                  </td>
                  <td>
                    {/* Already masked by the server (`sk-sfp-abcd…wxyz`). */}
                    <code>{key.prefix}</code>
                  </td>
                  <td>{format.dateTime(key.createdAt)}</td>
                  <td>
                    <RelativeTime iso={key.lastUsedAt} />
                  </td>
                  <td className="num">{format.number(key.requestCount)}</td>
                  <td>
                    <LimitsSummary clientKey={key} />
                  </td>
                  <td>
                    <UsageSummary clientKey={key} />
                  </td>
                  <td className="client-key__actions">
                    <button
                      type="button"
                      className="button button--small"
                      onClick={() => setEditing(key)}
                      aria-label={t('clientKeys.editLabel', { name: key.name })}
                    >
                      {t('clientKeys.edit')}
                    </button>
                    <button
                      type="button"
                      className="button button--small button--danger"
                      onClick={() => setRevoking(key)}
                      aria-label={t('clientKeys.revokeLabel', { name: key.name })}
                    >
                      {t('clientKeys.revoke')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ClientUsage keys={keys} />
      {editing && (
        <EditClientKeyDialog
          clientKey={editing}
          onUpdated={list.reload}
          onClose={() => setEditing(null)}
        />
      )}
      {revoking && (
        <ConfirmDialog
          title={t('clientKeys.revokeTitle', { name: revoking.name })}
          confirmLabel={t('clientKeys.revoke')}
          danger
          onClose={() => setRevoking(null)}
          onConfirm={async () => {
            await api.deleteClientKey(revoking.id)
            toast('success', t('clientKeys.revoked', { name: revoking.name }))
            list.reload()
          }}
        >
          <p>{t('clientKeys.revokeWarning')}</p>
        </ConfirmDialog>
      )}
    </section>
  )
}

/** The key's limits in a line (`模型 3 个 · 60/分钟 · 每日 1000 次`), the full lists as a title. */
function LimitsSummary({ clientKey: key }: { clientKey: ClientKeyView }) {
  const { t, format } = useI18n()
  const parts: string[] = []
  if (key.models !== null) parts.push(t('clientKeys.summary.models', { count: key.models.length }))
  if (key.rpm !== null) parts.push(t('clientKeys.summary.rpm', { count: format.number(key.rpm) }))
  if (key.dailyRequests !== null)
    parts.push(t('clientKeys.summary.dailyRequests', { count: format.number(key.dailyRequests) }))
  if (key.dailyTokens !== null)
    parts.push(t('clientKeys.summary.dailyTokens', { count: format.number(key.dailyTokens) }))
  if (key.monthlySpendCny !== null)
    parts.push(t('clientKeys.summary.monthlySpend', { amount: format.money(key.monthlySpendCny) }))
  if (key.allowedIps !== null)
    parts.push(t('clientKeys.summary.allowedIps', { count: key.allowedIps.length }))
  if (key.expiresAt !== null)
    parts.push(t('clientKeys.summary.expiresAt', { time: format.dateTime(key.expiresAt) }))
  if (parts.length === 0) return <span className="muted">{t('clientKeys.noLimits')}</span>
  const lists = [...(key.models ?? []), ...(key.allowedIps ?? [])].join('\n')
  return <span title={lists === '' ? undefined : lists}>{parts.join(' · ')}</span>
}

/** Today's requests and tokens, and this month's spend (China Standard Time periods). */
function UsageSummary({ clientKey: key }: { clientKey: ClientKeyView }) {
  const { t, format } = useI18n()
  return (
    <>
      <div>
        {t('clientKeys.usage.today', {
          requests: format.number(key.usage.requestsToday),
          tokens: format.number(key.usage.tokensToday),
        })}
      </div>
      <div className="muted">
        {t('clientKeys.usage.month', { amount: format.money(key.usage.spendThisMonthCny) })}
      </div>
    </>
  )
}
