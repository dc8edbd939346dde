import type { AddKeysResponse, InvalidKeyInput } from '@sfp/schemas'
import { type FormEvent, useDeferredValue, useId, useMemo, useState } from 'react'
import { useAdminApi } from '../../auth/SessionProvider.js'
import { ErrorNotice } from '../../components/ErrorNotice.js'
import { type I18n, useI18n } from '../../i18n/I18nProvider.js'
import { countKeyEntries } from './key-entries.js'

/**
 * The length rules of one key, for the reasons shown in the summary.
 * @see packages/key-pool/src/import-parser.ts `KEY_MIN_LENGTH`, `KEY_MAX_LENGTH`
 */
const KEY_LENGTH = { min: 8, max: 256 }

/** The reason in the page's language; the server's English `reason` is for API users. */
function invalidReason(entry: InvalidKeyInput, { t, format }: I18n): string {
  switch (entry.code) {
    case 'invalid_characters':
      return t('add.invalid.invalid_characters')
    case 'too_short':
      return t('add.invalid.too_short', { min: KEY_LENGTH.min })
    case 'too_long':
      return t('add.invalid.too_long', { max: KEY_LENGTH.max })
    case 'more_not_listed':
      return t('add.invalid.more_not_listed', { count: format.number(entry.count ?? 0) })
  }
}

/**
 * Paste many keys at once. The count under the box updates as you type (the same separators the
 * server splits on); after adding, a summary says what was added, skipped and rejected, and why.
 */
export function BulkAddForm({ onAdded }: { onAdded(result: AddKeysResponse): void }) {
  const { t, format } = useI18n()
  const api = useAdminApi()
  const inputId = useId()
  const hintId = useId()
  const labelId = useId()
  const [text, setText] = useState('')
  const [label, setLabel] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [result, setResult] = useState<AddKeysResponse | null>(null)
  // Counting a multi-megabyte paste must not delay the typing itself.
  const deferredText = useDeferredValue(text)
  const { count, repeats } = useMemo(() => countKeyEntries(deferredText), [deferredText])

  async function submit(event: FormEvent) {
    event.preventDefault()
    if (busy || count === 0) return
    setBusy(true)
    setError(null)
    setResult(null)
    try {
      const trimmedLabel = label.trim()
      const answer = await api.addKeys({
        api_keys: text,
        ...(trimmedLabel === '' ? {} : { label: trimmedLabel }),
      })
      setResult(answer)
      setText('')
      onAdded(answer)
    } catch (failure) {
      setError(failure)
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className="bulk-add" onSubmit={submit}>
      <div className="field">
        <label htmlFor={inputId}>{t('add.input')}</label>
        <textarea
          id={inputId}
          className="input input--mono"
          rows={6}
          spellCheck={false}
          autoComplete="off"
          aria-describedby={hintId}
          value={text}
          onChange={(event) => setText(event.target.value)}
          placeholder="sk-…"
        />
        <p id={hintId} className="field__hint">
          {t('add.hint')}{' '}
          <span className="bulk-add__count" data-testid="entry-count">
            {repeats > 0
              ? t('add.countWithRepeats', {
                  count: format.number(count),
                  repeats: format.number(repeats),
                })
              : t('add.count', { count: format.number(count) })}
          </span>
        </p>
      </div>
      <div className="field">
        <label htmlFor={labelId}>{t('add.label')}</label>
        <input
          id={labelId}
          className="input"
          maxLength={100}
          value={label}
          onChange={(event) => setLabel(event.target.value)}
        />
      </div>
      <button type="submit" className="button button--primary" disabled={busy || count === 0}>
        {busy ? t('add.submitting') : t('add.submit')}
      </button>
      <ErrorNotice error={error} />
      <div aria-live="polite">{result && <AddSummary result={result} />}</div>
    </form>
  )
}

function AddSummary({ result }: { result: AddKeysResponse }) {
  const i18n = useI18n()
  const { t } = i18n
  return (
    <div className={`notice ${result.invalid.length > 0 ? 'notice--warning' : 'notice--success'}`}>
      <p>
        {t('add.summary', {
          added: result.added.length,
          duplicates: result.duplicates,
          invalid: result.invalid.length,
        })}
      </p>
      {result.invalid.length > 0 && (
        <>
          <p className="notice__subtitle">{t('add.invalidTitle')}</p>
          <ul className="notice__fields">
            {result.invalid.map((entry, index) => (
              // The same masked input can appear twice; the position tells them apart.
              <li key={index}>
                {/* The "more" line stands for many entries: it has no input of its own. */}
                {entry.code !== 'more_not_listed' && (
                  <>
                    <code>{entry.input}</code>:{' '}
                  </>
                )}
                {invalidReason(entry, i18n)}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  )
}
