import type { KeyView } from '@sfp/schemas'
import { type FormEvent, useId, useState } from 'react'
import { useAdminApi } from '../../auth/SessionProvider.js'
import { ErrorNotice } from '../../components/ErrorNotice.js'
import { useToast } from '../../components/ToastProvider.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import { useKeyDirectory } from '../../key-directory/KeyDirectoryProvider.js'

export function KeyLabelForm({ keyView: key }: { keyView: KeyView }) {
  const { t } = useI18n()
  const api = useAdminApi()
  const toast = useToast()
  const { upsert } = useKeyDirectory()
  const id = useId()
  const [label, setLabel] = useState(key.label ?? '')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)

  async function save(event: FormEvent) {
    event.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const trimmed = label.trim()
      upsert(await api.patchKey(key.id, { label: trimmed === '' ? null : trimmed }))
      toast('success', t('key.labelSaved'))
    } catch (failure) {
      setError(failure)
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className="inline-form" onSubmit={save}>
      <label htmlFor={id}>{t('key.label')}</label>
      <input
        id={id}
        className="input"
        maxLength={100}
        value={label}
        onChange={(event) => setLabel(event.target.value)}
      />
      <button
        type="submit"
        className="button"
        disabled={busy || label.trim() === (key.label ?? '')}
      >
        {t('common.save')}
      </button>
      <ErrorNotice error={error} />
    </form>
  )
}
