import type { ClientKeyView } from '@sfp/schemas'
import { useState } from 'react'
import { useAdminApi } from '../../auth/SessionProvider.js'
import { ConfirmDialog } from '../../components/ConfirmDialog.js'
import { ErrorNotice } from '../../components/ErrorNotice.js'
import { RelativeTime } from '../../components/RelativeTime.js'
import { useToast } from '../../components/ToastProvider.js'
import { useApiResource } from '../../hooks/useApiResource.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import { CreateClientKeyForm } from './CreateClientKeyForm.js'
import './client-keys.css'

/** Keys for the proxy's own clients: create (shown once), list, revoke. */
export function ClientKeysPage() {
  const { t, format } = useI18n()
  const api = useAdminApi()
  const toast = useToast()
  const list = useApiResource((signal) => api.clientKeys(signal), [api])
  const [revoking, setRevoking] = useState<ClientKeyView | null>(null)
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
