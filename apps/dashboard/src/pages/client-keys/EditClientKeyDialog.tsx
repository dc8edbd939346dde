import type { ClientKeyView } from '@sfp/schemas'
import { type FormEvent, useId, useRef, useState } from 'react'
import { useAdminApi } from '../../auth/SessionProvider.js'
import { Dialog } from '../../components/Dialog.js'
import { ErrorNotice } from '../../components/ErrorNotice.js'
import { useToast } from '../../components/ToastProvider.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import { useFocusFirstProblem } from '../notifications/useFocusFirstProblem.js'
import {
  hasProblems,
  type LimitsDraft,
  limitsDraftOf,
  patchBody,
  readLimits,
} from './client-key-draft.js'
import { LimitsFields } from './LimitsFields.js'

/**
 * Changes a key's name and limits (PATCH): only what changed is sent, a cleared field as null (no
 * limit). The key itself stays and is never shown again.
 */
export function EditClientKeyDialog({
  clientKey,
  onUpdated,
  onClose,
}: {
  clientKey: ClientKeyView
  onUpdated(key: ClientKeyView): void
  onClose(): void
}) {
  const { t } = useI18n()
  const api = useAdminApi()
  const toast = useToast()
  const nameId = useId()
  const [name, setName] = useState(clientKey.name)
  const [limits, setLimits] = useState<LimitsDraft>(() => limitsDraftOf(clientKey))
  const [sent, setSent] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const formRef = useRef<HTMLFormElement>(null)
  const focusFirstProblem = useFocusFirstProblem(formRef)
  const read = readLimits(limits)
  const problems = sent ? read.problems : {}
  const changes = patchBody(clientKey, name, limits, read.limits)
  const changed = Object.keys(changes).length > 0

  async function save(event: FormEvent) {
    event.preventDefault()
    if (busy || !changed || name.trim() === '') return
    setSent(true)
    if (hasProblems(read.problems)) {
      focusFirstProblem()
      return
    }
    setBusy(true)
    setError(null)
    try {
      const updated = await api.updateClientKey(clientKey.id, changes)
      onUpdated(updated)
      toast('success', t('clientKeys.saved', { name: updated.name }))
      onClose()
    } catch (failure) {
      setError(failure)
      setBusy(false)
    }
  }

  return (
    <Dialog
      title={t('clientKeys.editTitle', { name: clientKey.name })}
      onClose={onClose}
      size="large"
    >
      <form ref={formRef} onSubmit={save} autoComplete="off" noValidate>
        <p className="muted">{t('clientKeys.editHint')}</p>
        <div className="field">
          <label htmlFor={nameId}>{t('clientKeys.name')}</label>
          <input
            id={nameId}
            className="input"
            maxLength={100}
            required
            value={name}
            onChange={(event) => {
              setName(event.target.value)
              setError(null)
            }}
          />
        </div>
        <LimitsFields
          draft={limits}
          problems={problems}
          onChange={(next) => {
            setLimits(next)
            setError(null)
          }}
        />
        <div className="button-row">
          <button type="button" className="button" onClick={onClose} disabled={busy}>
            {t('common.cancel')}
          </button>
          <button
            type="submit"
            className="button button--primary"
            disabled={busy || !changed || name.trim() === ''}
          >
            {busy ? t('common.working') : t('common.save')}
          </button>
        </div>
        <ErrorNotice error={error} />
      </form>
    </Dialog>
  )
}
