import { useState } from 'react'
import { useAdminApi } from '../../auth/SessionProvider.js'
import { ConfirmDialog } from '../../components/ConfirmDialog.js'
import { useToast } from '../../components/ToastProvider.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import { downloadText, exportFileName } from './download-text.js'
import { splitKeyEntries } from './key-entries.js'

/** Downloads every key in plain text (the one place keys leave unmasked), after a warning. */
export function ExportButton() {
  const { t } = useI18n()
  const api = useAdminApi()
  const toast = useToast()
  const [confirming, setConfirming] = useState(false)
  return (
    <>
      <button type="button" className="button" onClick={() => setConfirming(true)}>
        {t('keys.export')}
      </button>
      {confirming && (
        <ConfirmDialog
          title={t('keys.export')}
          confirmLabel={t('keys.export')}
          onClose={() => setConfirming(false)}
          onConfirm={async () => {
            const text = await api.exportKeys()
            downloadText(exportFileName(), text)
            toast('success', t('keys.exported', { count: splitKeyEntries(text).length }))
          }}
        >
          <p>{t('keys.exportWarning')}</p>
        </ConfirmDialog>
      )}
    </>
  )
}
