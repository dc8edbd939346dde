import { type ReactNode, useState } from 'react'
import { useI18n } from '../i18n/I18nProvider.js'
import { Dialog } from './Dialog.js'
import { ErrorNotice } from './ErrorNotice.js'

interface ConfirmDialogProps {
  title: string
  children: ReactNode
  confirmLabel: string
  /** Red confirm button, for deletions and upstream-touching actions. */
  danger?: boolean
  /** The dialog closes when this resolves and shows the error when it throws. */
  onConfirm(): Promise<void>
  onClose(): void
}

/** "Are you sure?" with the consequences spelled out. Cancel has focus first: the safe choice. */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  danger = false,
  onConfirm,
  onClose,
}: ConfirmDialogProps) {
  const { t } = useI18n()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)

  async function confirm() {
    setBusy(true)
    setError(null)
    try {
      await onConfirm()
      onClose()
    } catch (failure) {
      setError(failure)
      setBusy(false)
    }
  }

  return (
    <Dialog
      title={title}
      onClose={busy ? () => undefined : onClose}
      footer={
        <>
          <button type="button" className="button" onClick={onClose} disabled={busy} data-autofocus>
            {t('common.cancel')}
          </button>
          <button
            type="button"
            className={`button ${danger ? 'button--danger' : 'button--primary'}`}
            onClick={confirm}
            disabled={busy}
          >
            {busy ? t('common.working') : confirmLabel}
          </button>
        </>
      }
    >
      <div className="confirm__message">{children}</div>
      <ErrorNotice error={error} />
    </Dialog>
  )
}
