import type { NotificationView } from '@sfp/schemas'
import { type FormEvent, useRef, useState } from 'react'
import { useAdminApi } from '../../auth/SessionProvider.js'
import { Dialog } from '../../components/Dialog.js'
import { useToast } from '../../components/ToastProvider.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import {
  draftOf,
  draftProblems,
  hasProblems,
  patchBody,
  type TargetDraft,
} from './notification-draft.js'
import { TargetError } from './TargetError.js'
import { TargetFields } from './TargetFields.js'
import { useFocusFirstProblem } from './useFocusFirstProblem.js'

interface EditNotificationDialogProps {
  target: NotificationView
  name: string
  onUpdated(target: NotificationView): void
  onClose(): void
}

/**
 * Edits a target's fields (its kind stays). URL and secret start empty, meaning "keep": the view
 * has the URL only masked and never the secret. Only what changed is sent.
 */
export function EditNotificationDialog({
  target,
  name,
  onUpdated,
  onClose,
}: EditNotificationDialogProps) {
  const { t } = useI18n()
  const api = useAdminApi()
  const toast = useToast()
  const [draft, setDraft] = useState<TargetDraft>(() => draftOf(target))
  const formRef = useRef<HTMLFormElement>(null)
  const focusFirstProblem = useFocusFirstProblem(formRef)
  const [sent, setSent] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const problems = sent ? draftProblems(draft, true) : {}
  const changes = patchBody(draft, target)
  const changed = Object.keys(changes).length > 0

  async function save(event: FormEvent) {
    event.preventDefault()
    if (busy || !changed) return
    setSent(true)
    if (hasProblems(draftProblems(draft, true))) {
      focusFirstProblem()
      return
    }
    setBusy(true)
    setError(null)
    try {
      onUpdated(await api.updateNotification(target.id, changes))
      toast('success', t('notifications.saved', { name }))
      onClose()
    } catch (failure) {
      setError(failure)
      setBusy(false)
    }
  }

  return (
    <Dialog title={t('notifications.editTitle', { name })} onClose={onClose} size="large">
      <form
        ref={formRef}
        className="notification-form"
        onSubmit={save}
        autoComplete="off"
        noValidate
      >
        <p className="muted">{t(`notifications.kind.${target.kind}`)}</p>
        <TargetFields
          draft={draft}
          onChange={(next) => {
            setDraft(next)
            setError(null)
          }}
          problems={problems}
          editing={{ hasSecret: target.hasSecret }}
        />
        <div className="button-row">
          <button type="button" className="button" onClick={onClose} disabled={busy}>
            {t('common.cancel')}
          </button>
          <button type="submit" className="button button--primary" disabled={busy || !changed}>
            {busy ? t('common.working') : t('common.save')}
          </button>
        </div>
        <TargetError error={error} kind={target.kind} />
      </form>
    </Dialog>
  )
}
