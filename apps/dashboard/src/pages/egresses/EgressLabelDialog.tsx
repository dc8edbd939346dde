import type { EgressView } from '@sfp/schemas'
import { type FormEvent, useId, useState } from 'react'
import { useAdminApi } from '../../auth/SessionProvider.js'
import { Dialog } from '../../components/Dialog.js'
import { ErrorNotice } from '../../components/ErrorNotice.js'
import { useToast } from '../../components/ToastProvider.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import { EGRESS_LABEL_MAX } from './egress-problems.js'

interface EgressLabelDialogProps {
  egress: EgressView
  name: string
  onUpdated(egress: EgressView): void
  onClose(): void
}

/** Edits an egress's label like a key's: saved with PATCH {label}, an emptied label as null. */
export function EgressLabelDialog({ egress, name, onUpdated, onClose }: EgressLabelDialogProps) {
  const { t } = useI18n()
  const api = useAdminApi()
  const toast = useToast()
  const id = useId()
  const [label, setLabel] = useState(egress.label ?? '')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)

  async function save(event: FormEvent) {
    event.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const trimmed = label.trim()
      onUpdated(await api.updateEgress(egress.id, { label: trimmed === '' ? null : trimmed }))
      toast('success', t('egress.labelSaved'))
      onClose()
    } catch (failure) {
      setError(failure)
      setBusy(false)
    }
  }

  return (
    <Dialog title={t('egress.labelTitle', { name })} onClose={onClose}>
      <form className="inline-form" onSubmit={save}>
        <label htmlFor={id}>{t('egress.label')}</label>
        <input
          id={id}
          className="input"
          maxLength={EGRESS_LABEL_MAX}
          value={label}
          onChange={(event) => setLabel(event.target.value)}
        />
        <button
          type="submit"
          className="button button--primary"
          disabled={busy || label.trim() === (egress.label ?? '')}
        >
          {t('common.save')}
        </button>
        <ErrorNotice error={error} />
      </form>
    </Dialog>
  )
}
