import { useState } from 'react'
import { useAdminApi } from '../../auth/SessionProvider.js'
import { downloadFile } from '../../components/download-file.js'
import { ErrorNotice } from '../../components/ErrorNotice.js'
import { useToast } from '../../components/ToastProvider.js'
import { useI18n } from '../../i18n/I18nProvider.js'

/**
 * Downloads a consistent copy of the SQLite database (`GET /api/manage/backup`). Fetched with the
 * session's Basic auth and saved from a Blob: a plain link would not send the header.
 */
export function BackupCard() {
  const { t } = useI18n()
  const api = useAdminApi()
  const toast = useToast()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)

  async function download() {
    setBusy(true)
    setError(null)
    try {
      const backup = await api.backup()
      downloadFile(backup.fileName, backup.data)
      toast('success', t('backup.downloaded', { name: backup.fileName }))
    } catch (failure) {
      setError(failure)
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="card" aria-labelledby="backup-title">
      <h2 id="backup-title" className="card__title">
        {t('backup.title')}
      </h2>
      <p>{t('backup.explain')}</p>
      <p className="notice notice--warning">{t('backup.secret')}</p>
      <p>{t('backup.restore')}</p>
      <button type="button" className="button button--primary" disabled={busy} onClick={download}>
        {busy ? t('common.working') : t('backup.download')}
      </button>
      <ErrorNotice error={error} />
    </section>
  )
}
