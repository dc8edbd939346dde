import type { KeyView } from '@sfp/schemas'
import { KEY_STATUS_LABELS } from '@sfp/schemas'
import { useId, useState } from 'react'
import { useAdminApi } from '../../auth/SessionProvider.js'
import { ConfirmDialog } from '../../components/ConfirmDialog.js'
import { ErrorNotice } from '../../components/ErrorNotice.js'
import { useToast } from '../../components/ToastProvider.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import { useKeyDirectory } from '../../key-directory/KeyDirectoryProvider.js'
import { ActivateWarning } from './ActivateWarning.js'

type Confirming = 'activate' | 'check' | 'delete' | null

/**
 * The per-key actions. Making a key current and checking its balance both send that key upstream
 * from this server's IP, which is what the switch guard protects against: both ask first.
 */
export function KeyActions({ keyView: key, onDeleted }: { keyView: KeyView; onDeleted(): void }) {
  const { t, format, language } = useI18n()
  const api = useAdminApi()
  const toast = useToast()
  const { upsert, reload } = useKeyDirectory()
  const [confirming, setConfirming] = useState<Confirming>(null)
  const [toggling, setToggling] = useState(false)
  const [error, setError] = useState<unknown>(null)
  // Why the admin takes the key out of service: kept in its key event (optional).
  const [reason, setReason] = useState('')
  const reasonId = useId()
  const name = key.maskedKey

  async function setEnabled(enabled: boolean) {
    setToggling(true)
    setError(null)
    try {
      const why = reason.trim()
      upsert(
        await api.patchKey(key.id, enabled || why === '' ? { enabled } : { enabled, reason: why }),
      )
      setReason('')
      toast('success', t(enabled ? 'key.enabled' : 'key.disabled', { key: name }))
    } catch (failure) {
      setError(failure)
    } finally {
      setToggling(false)
    }
  }

  const close = () => setConfirming(null)
  return (
    <div className="key-actions">
      <div className="button-row">
        <button
          type="button"
          className="button"
          disabled={key.isCurrent}
          onClick={() => setConfirming('activate')}
        >
          {t('key.activate')}
        </button>
        <button type="button" className="button" onClick={() => setConfirming('check')}>
          {t('key.check')}
        </button>
        <button
          type="button"
          className="button"
          disabled={toggling}
          onClick={() => setEnabled(key.status === 'disabled')}
        >
          {key.status === 'disabled' ? t('key.enable') : t('key.disable')}
        </button>
        <button
          type="button"
          className="button button--danger"
          onClick={() => setConfirming('delete')}
        >
          {t('key.delete')}
        </button>
      </div>
      <div className="inline-form">
        {key.status !== 'disabled' && (
          <>
            <label htmlFor={reasonId}>{t('key.disableReason')}</label>
            <input
              id={reasonId}
              className="input"
              maxLength={200}
              value={reason}
              onChange={(event) => setReason(event.target.value)}
            />
          </>
        )}
      </div>
      <ErrorNotice error={error} />
      {confirming === 'activate' && (
        <ConfirmDialog
          title={t('key.activateTitle', { key: name })}
          confirmLabel={t('key.activate')}
          danger
          onClose={close}
          onConfirm={async () => {
            upsert(await api.activateKey(key.id))
            toast('success', t('key.activated', { key: name }))
          }}
        >
          <ActivateWarning />
        </ConfirmDialog>
      )}
      {confirming === 'check' && (
        <ConfirmDialog
          title={t('key.checkTitle', { key: name })}
          confirmLabel={t('key.check')}
          danger={!key.isCurrent}
          onClose={close}
          onConfirm={async () => {
            const checked = await api.checkKey(key.id)
            upsert(checked)
            const balance =
              checked.balance === null ? t('common.unknown') : format.money(checked.balance)
            const status = KEY_STATUS_LABELS[checked.status][language]
            toast('info', t('key.checked', { key: name, status, balance }))
          }}
        >
          <p>{t('key.checkWarning')}</p>
        </ConfirmDialog>
      )}
      {confirming === 'delete' && (
        <ConfirmDialog
          title={t('key.deleteTitle', { key: name })}
          confirmLabel={t('key.delete')}
          danger
          onClose={close}
          onConfirm={async () => {
            await api.deleteKey(key.id)
            toast('success', t('key.deleted', { key: name }))
            reload()
            onDeleted()
          }}
        >
          <p>{t('key.deleteWarning')}</p>
        </ConfirmDialog>
      )}
    </div>
  )
}
