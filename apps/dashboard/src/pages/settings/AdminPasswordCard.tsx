import { ADMIN_PASSWORD_MAX_LENGTH, ADMIN_PASSWORD_MIN_LENGTH } from '@sfp/schemas'
import { type FormEvent, useState } from 'react'
import { isApiError } from '../../api/api-error.js'
import { ADMIN_USER } from '../../api/credentials.js'
import { useAdminApi, useSession } from '../../auth/SessionProvider.js'
import { ErrorNotice } from '../../components/ErrorNotice.js'
import { PasswordField } from '../../components/PasswordField.js'
import { useToast } from '../../components/ToastProvider.js'
import { useApiResource } from '../../hooks/useApiResource.js'
import type { MessageKey } from '../../i18n/catalog.js'
import { useI18n } from '../../i18n/I18nProvider.js'

type Problem = { key: MessageKey; seconds?: number } | { error: unknown }

/** What is wrong with the form before it is sent, or null (the server checks it all again). */
function formProblem(current: string, next: string, repeat: string): MessageKey | null {
  if (next.length < ADMIN_PASSWORD_MIN_LENGTH) return 'adminPassword.tooShort'
  if (next.length > ADMIN_PASSWORD_MAX_LENGTH) return 'adminPassword.tooLong'
  if (next !== repeat) return 'adminPassword.mismatch'
  if (next === current) return 'adminPassword.same'
  return null
}

/** The server's refusal in the page language where we know it; anything else as it came. */
function serverProblem(error: unknown): Problem {
  if (!isApiError(error)) return { error }
  if (error.code === 'wrong_current_password') return { key: 'adminPassword.wrongCurrent' }
  if (error.code === 'admin_password_from_env') return { key: 'adminPassword.fromEnv' }
  if (error.status === 429 && error.retryAfterSeconds !== null)
    return { key: 'adminPassword.tooMany', seconds: error.retryAfterSeconds }
  return { error }
}

/**
 * `PUT /api/manage/admin-password` when the password was generated at first boot or changed here;
 * only a notice when ADMIN_PASSWORD fixes it. This browser stays signed in with the new password.
 */
export function AdminPasswordCard() {
  const { t } = useI18n()
  const api = useAdminApi()
  const { changePassword } = useSession()
  const toast = useToast()
  const state = useApiResource((signal) => api.adminPassword(signal), [api])
  const [current, setCurrent] = useState('')
  const [next, setNext] = useState('')
  const [repeat, setRepeat] = useState('')
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<Problem | null>(null)

  async function submit(event: FormEvent) {
    event.preventDefault()
    if (busy) return
    const local = formProblem(current, next, repeat)
    if (local !== null) {
      setProblem({ key: local })
      return
    }
    setBusy(true)
    setProblem(null)
    try {
      await changePassword(current, next)
      setCurrent('')
      setNext('')
      setRepeat('')
      toast('success', t('adminPassword.changed'))
    } catch (error) {
      setProblem(serverProblem(error))
    } finally {
      setBusy(false)
    }
  }

  // A server without the route (older than this dashboard): nothing to offer here.
  if (isApiError(state.error) && state.error.status === 404) return null
  return (
    <section className="card" aria-labelledby="admin-password-title">
      <h2 id="admin-password-title" className="card__title">
        {t('adminPassword.title')}
      </h2>
      <ErrorNotice error={state.error} />
      {state.loading && !state.data && <p className="muted">{t('common.loading')}</p>}
      {state.data?.managedByEnv === true && (
        <p className="notice notice--info">{t('adminPassword.fromEnv')}</p>
      )}
      {state.data?.managedByEnv === false && (
        <form className="admin-password" onSubmit={submit}>
          <p>{t('adminPassword.explain')}</p>
          {/* For password managers: the account whose password this is. */}
          <input
            type="text"
            name="username"
            autoComplete="username"
            value={ADMIN_USER}
            hidden
            readOnly
          />
          <PasswordField
            label={t('adminPassword.current')}
            autoComplete="current-password"
            value={current}
            onChange={setCurrent}
          />
          <PasswordField
            label={t('adminPassword.new')}
            autoComplete="new-password"
            hint={t('adminPassword.newHint')}
            value={next}
            onChange={setNext}
          />
          <PasswordField
            label={t('adminPassword.repeat')}
            autoComplete="new-password"
            value={repeat}
            onChange={setRepeat}
          />
          <div aria-live="polite">
            {problem !== null && 'key' in problem && (
              <p role="alert" className="notice notice--error">
                {t(problem.key, { seconds: problem.seconds ?? 0 })}
              </p>
            )}
          </div>
          {problem !== null && 'error' in problem && <ErrorNotice error={problem.error} />}
          <button
            type="submit"
            className="button button--primary"
            disabled={busy || current === '' || next === '' || repeat === ''}
          >
            {busy ? t('common.working') : t('adminPassword.submit')}
          </button>
        </form>
      )}
    </section>
  )
}
