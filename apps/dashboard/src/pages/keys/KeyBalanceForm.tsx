import type { KeyView } from '@sfp/schemas'
import { type FormEvent, useId, useState } from 'react'
import { ErrorNotice } from '../../components/ErrorNotice.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import { useKeyPatch } from './useKeyPatch.js'

/** Plain decimal CNY, as the console shows it: no exponents, no hex. */
const AMOUNT = /^\d{1,8}(?:\.\d{1,6})?$/

/**
 * The balance read in SiliconFlow's console, for keys upstream no longer reports one for
 * (`/v1/user/info` retired): the estimated balance counts down from it (docs/behaviour.md §11).
 */
export function KeyBalanceForm({ keyView: key }: { keyView: KeyView }) {
  const { t } = useI18n()
  const { busy, error, save: saveKey } = useKeyPatch(key.id)
  const id = useId()
  const [amount, setAmount] = useState('')
  const valid = AMOUNT.test(amount.trim())

  async function save(event: FormEvent) {
    event.preventDefault()
    if (!valid) return
    if (await saveKey({ balance: Number(amount.trim()) }, t('key.balanceSaved'))) setAmount('')
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
