import type { CreateClientKeyResponse } from '@sfp/schemas'
import { type FormEvent, useId, useRef, useState } from 'react'
import { useAdminApi } from '../../auth/SessionProvider.js'
import { CopyButton } from '../../components/CopyButton.js'
import { ErrorNotice } from '../../components/ErrorNotice.js'
import { useToast } from '../../components/ToastProvider.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import { useFocusFirstProblem } from '../notifications/useFocusFirstProblem.js'
import {
  createBody,
  emptyLimitsDraft,
  hasProblems,
  type LimitsDraft,
  readLimits,
} from './client-key-draft.js'
import { LimitsFields } from './LimitsFields.js'

/**
 * Creates a key, with any limits (a collapsed section: most keys need none), and shows its
 * plaintext exactly once, with a copy button, until dismissed.
 */
export function CreateClientKeyForm({ onCreated }: { onCreated(): void }) {
  const { t } = useI18n()
  const api = useAdminApi()
  const toast = useToast()
  const nameId = useId()
  const hintId = useId()
  const [name, setName] = useState('')
  const [limits, setLimits] = useState<LimitsDraft>(emptyLimitsDraft)
  const [limitsOpen, setLimitsOpen] = useState(false)
  const [sent, setSent] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [created, setCreated] = useState<CreateClientKeyResponse | null>(null)
  const formRef = useRef<HTMLFormElement>(null)
  const focusFirstProblem = useFocusFirstProblem(formRef)
  const read = readLimits(limits)
  const problems = sent ? read.problems : {}

  async function submit(event: FormEvent) {
    event.preventDefault()
    if (busy || name.trim() === '') return
    setSent(true)
    if (hasProblems(read.problems)) {
      setLimitsOpen(true)
      focusFirstProblem()
      return
    }
    setBusy(true)
    setError(null)
    try {
      const answer = await api.createClientKey(createBody(name, read.limits))
      setCreated(answer)
      setName('')
      setLimits(emptyLimitsDraft())
      setSent(false)
      toast('success', t('clientKeys.created', { name: answer.key.name }))
      onCreated()
    } catch (failure) {
      setError(failure)
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="card" aria-labelledby={`${nameId}-title`}>
      <h2 id={`${nameId}-title`} className="card__title">
        {t('clientKeys.create')}
      </h2>
      <form ref={formRef} onSubmit={submit} autoComplete="off" noValidate>
        <div className="inline-form">
          <label htmlFor={nameId}>{t('clientKeys.name')}</label>
          <input
            id={nameId}
            className="input"
            maxLength={100}
            required
            aria-describedby={hintId}
            value={name}
            onChange={(event) => setName(event.target.value)}
          />
          <button
            type="submit"
            className="button button--primary"
            disabled={busy || name.trim() === ''}
          >
            {busy ? t('common.working') : t('clientKeys.submit')}
          </button>
          <p id={hintId} className="field__hint">
            {t('clientKeys.nameHint')}
          </p>
        </div>
        <details
          className="limits-section"
          open={limitsOpen}
          onToggle={(event) => setLimitsOpen(event.currentTarget.open)}
        >
          <summary>{t('clientKeys.limits')}</summary>
          <LimitsFields
            draft={limits}
            problems={problems}
            onChange={(next) => {
              setLimits(next)
              setError(null)
            }}
          />
        </details>
        {hasProblems(problems) && (
          <p className="field__error" role="alert">
            {t('clientKeys.problems')}
          </p>
        )}
      </form>
      <ErrorNotice error={error} />
      {created && <OneTimeSecret created={created} onDismiss={() => setCreated(null)} />}
    </section>
  )
}

function OneTimeSecret({
  created,
  onDismiss,
}: {
  created: CreateClientKeyResponse
  onDismiss(): void
}) {
  const { t } = useI18n()
  const inputId = useId()
  const input = useRef<HTMLInputElement>(null)
  return (
    <div className="notice notice--warning one-time" role="alert">
      <p className="notice__subtitle">{t('clientKeys.onceTitle')}</p>
      <p>{t('clientKeys.onceWarning')}</p>
      <label htmlFor={inputId} className="sr-only">
        {t('clientKeys.plaintextLabel')}
      </label>
      <div className="one-time__row">
        <input
          ref={input}
          id={inputId}
          className="input input--mono"
          readOnly
          value={created.plaintext}
          onFocus={(event) => event.currentTarget.select()}
        />
        <CopyButton
          text={created.plaintext}
          label={t('clientKeys.copyLabel')}
          fallbackTarget={() => input.current}
        />
      </div>
      <button type="button" className="button" onClick={onDismiss}>
        {t('clientKeys.dismiss')}
      </button>
    </div>
  )
}
