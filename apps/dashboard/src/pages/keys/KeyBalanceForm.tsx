import type { KeyView } from '@sfp/schemas'
import { type FormEvent, useId, useState } from 'react'
import { useAdminApi } from '../../auth/SessionProvider.js'
import { ErrorNotice } from '../../components/ErrorNotice.js'
import { useToast } from '../../components/ToastProvider.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import { useKeyDirectory } from '../../key-directory/KeyDirectoryProvider.js'

/** Plain decimal CNY, as the console shows it: no exponents, no hex. */
const AMOUNT = /^\d{1,8}(?:\.\d{1,6})?$/

/**
 * The balance read in SiliconFlow's console, for keys upstream no longer reports one for
 * (`/v1/user/info` retired): the estimated balance counts down from it (docs/behaviour.md §11).
 */
export function KeyBalanceForm({ keyView: key }: { keyView: KeyView }) {
  const { t } = useI18n()
  const api = useAdminApi()
  const toast = useToast()
  const { upsert } = useKeyDirectory()
  const id = useId()
  const [amount, setAmount] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const valid = AMOUNT.test(amount.trim())

  async function save(event: FormEvent) {
    event.preventDefault()
    if (!valid) return
    setBusy(true)
    setError(null)
    try {
      upsert(await api.patchKey(key.id, { balance: Number(amount.trim()) }))
      setAmount('')
      toast('success', t('key.balanceSaved'))
    } catch (failure) {
      setError(failure)
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className="inline-form" onSubmit={save}>
      <label htmlFor={id}>{t('key.setBalance')}</label>
      <input
        id={id}
        className="input"
        inputMode="decimal"
        placeholder="0.00"
        aria-invalid={amount.trim() !== '' && !valid}
        aria-describedby={`${id}-hint`}
        value={amount}
        onChange={(event) => setAmount(event.target.value)}
      />
      <button type="submit" className="button" disabled={busy || !valid}>
        {t('key.saveBalance')}
      </button>
      <p id={`${id}-hint`} className="muted">
        {t('key.setBalanceHint')}
      </p>
      <ErrorNotice error={error} />
    </form>
  )
}
