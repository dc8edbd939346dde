import { type FormEvent, useId, useState } from 'react'
import { isApiError } from '../api/api-error.js'
import { ADMIN_USER, basicAuthorization } from '../api/credentials.js'
import { ErrorNotice } from '../components/ErrorNotice.js'
import { PasswordField } from '../components/PasswordField.js'
import { useNow } from '../hooks/useNow.js'
import { useI18n } from '../i18n/I18nProvider.js'
import { verifyCredentials } from './verify-credentials.js'

type Failure =
  | { kind: 'wrong' }
  | { kind: 'throttled'; until: number | null }
  | { kind: 'other'; error: unknown }

interface SignInFormProps {
  /** Called with the verified `Authorization` value. */
  onSignedIn(authorization: string): void
  /** Why the user is here again (the last session ended with a 401). */
  expired?: boolean
}

/** Our own sign-in form: the server never triggers the browser's Basic-auth dialog for us. */
export function SignInForm({ onSignedIn, expired = false }: SignInFormProps) {
  const { t } = useI18n()
  const userId = useId()
  const [user, setUser] = useState(ADMIN_USER)
  const [password, setPassword] = useState('')
  const [busy, setBusy] = useState(false)
  const [failure, setFailure] = useState<Failure | null>(null)
  const throttledUntil = failure?.kind === 'throttled' ? failure.until : null
  const now = useNow(1000, throttledUntil !== null)
  const secondsLeft = throttledUntil === null ? 0 : Math.ceil((throttledUntil - now) / 1000)
  const locked = throttledUntil !== null && secondsLeft > 0

  async function submit(event: FormEvent) {
    event.preventDefault()
    if (busy || locked) return
    setBusy(true)
    setFailure(null)
    const authorization = basicAuthorization(user.trim(), password)
    try {
      await verifyCredentials(authorization)
      onSignedIn(authorization)
    } catch (error) {
      setBusy(false)
      if (isApiError(error) && error.status === 401) setFailure({ kind: 'wrong' })
      else if (isApiError(error) && error.status === 429) {
        const seconds = error.retryAfterSeconds
        setFailure({
          kind: 'throttled',
          until: seconds === null ? null : Date.now() + seconds * 1000,
        })
      } else setFailure({ kind: 'other', error })
    }
  }

  return (
    <form className="sign-in card" onSubmit={submit}>
      <h1 className="sign-in__title">{t('signIn.title')}</h1>
      {expired && failure === null && (
        <p className="notice notice--info" role="status">
          {t('signIn.expired')}
        </p>
      )}
      <div className="field">
        <label htmlFor={userId}>{t('signIn.user')}</label>
        <input
          id={userId}
          className="input"
          name="username"
          autoComplete="username"
          value={user}
          onChange={(event) => setUser(event.target.value)}
          required
        />
      </div>
      <PasswordField
        label={t('signIn.password')}
        name="password"
        autoComplete="current-password"
        hint={t('signIn.passwordHint')}
        value={password}
        onChange={setPassword}
        autoFocus
      />
      <div aria-live="polite">
        {failure?.kind === 'wrong' && (
          <p className="notice notice--error">{t('signIn.wrongPassword')}</p>
        )}
        {failure?.kind === 'throttled' && (
          <p className="notice notice--error">
            {throttledUntil === null
              ? t('signIn.tooManyNoTime')
              : t('signIn.tooMany', { seconds: Math.max(0, secondsLeft) })}
          </p>
        )}
      </div>
      {failure?.kind === 'other' && <ErrorNotice error={failure.error} />}
      <button
        type="submit"
        className="button button--primary button--block"
        disabled={busy || locked || password === ''}
      >
        {busy ? t('signIn.checking') : t('signIn.submit')}
      </button>
      <p className="field__hint">{t('signIn.sessionNote')}</p>
    </form>
  )
}
