import type { NotificationView } from '@sfp/schemas'
import { type FormEvent, useId, useRef, useState } from 'react'
import { useAdminApi } from '../../auth/SessionProvider.js'
import { useToast } from '../../components/ToastProvider.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import {
  createBody,
  draftProblems,
  emptyDraft,
  hasProblems,
  type TargetDraft,
} from './notification-draft.js'
import { targetName } from './notification-words.js'
import { TargetError } from './TargetError.js'
import { TargetFields } from './TargetFields.js'
import { useFocusFirstProblem } from './useFocusFirstProblem.js'

/**
 * Adds a target. Its problems show once the form was sent and then as you type; nothing is sent
 * while there are any. URL and secret leave the form once the server has them.
 */
export function AddNotificationForm({ onAdded }: { onAdded(target: NotificationView): void }) {
  const { t } = useI18n()
  const api = useAdminApi()
  const toast = useToast()
  const id = useId()
  const [draft, setDraft] = useState<TargetDraft>(() => emptyDraft())
  const formRef = useRef<HTMLFormElement>(null)
  const focusFirstProblem = useFocusFirstProblem(formRef)
  const [sent, setSent] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const problems = sent ? draftProblems(draft, false) : {}

  async function submit(event: FormEvent) {
    event.preventDefault()
    if (busy) return
    setSent(true)
    if (hasProblems(draftProblems(draft, false))) {
      focusFirstProblem()
      return
    }
    setBusy(true)
    setError(null)
    try {
      const target = await api.createNotification(createBody(draft))
      setDraft(emptyDraft(draft.kind))
      setSent(false)
      toast('success', t('notifications.added', { name: targetName(t, target) }))
      onAdded(target)
    } catch (failure) {
      setError(failure)
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} className="card__title">
        {t('notifications.add')}
      </h2>
      <form
        ref={formRef}
        className="notification-form"
        onSubmit={submit}
        autoComplete="off"
        noValidate
      >
        <TargetFields
          draft={draft}
          onChange={(next) => {
            setDraft(next)
            setError(null)
          }}
          problems={problems}
        />
        <button type="submit" className="button button--primary" disabled={busy}>
          {busy ? t('notifications.submitting') : t('notifications.submit')}
        </button>
        <TargetError error={error} kind={draft.kind} />
      </form>
    </section>
  )
}
