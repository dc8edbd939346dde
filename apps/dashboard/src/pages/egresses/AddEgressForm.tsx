import { EGRESS_URL_MAX, type EgressView, type FieldIssue } from '@sfp/schemas'
import { type FormEvent, useId, useRef, useState } from 'react'
import { useAdminApi } from '../../auth/SessionProvider.js'
import { ErrorNotice } from '../../components/ErrorNotice.js'
import { egressName } from '../../components/egress-name.js'
import { useToast } from '../../components/ToastProvider.js'
import { describeFieldIssue, ruleText } from '../../i18n/field-issues.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import {
  describeUrl,
  EGRESS_LABEL_MAX,
  FORM_FIELDS,
  isFormField,
  type UrlShape,
  validationIssues,
} from './egress-problems.js'

/**
 * Adds an egress by URL. The URL may carry a proxy password, so it lives in the input element
 * only (uncontrolled): the component keeps what kind of URL it is, never the text, and the field
 * is emptied once the server has it. Toasts name the egress by label or id, never by URL.
 */
export function AddEgressForm({ onAdded }: { onAdded(egress: EgressView): void }) {
  const { t, language } = useI18n()
  const api = useAdminApi()
  const toast = useToast()
  const id = useId()
  const urlRef = useRef<HTMLInputElement>(null)
  const [url, setUrl] = useState<UrlShape>({ kind: 'empty' })
  /** The URL's problem shows once the field was left or the form sent, then as you type. */
  const [touched, setTouched] = useState(false)
  const [label, setLabel] = useState('')
  const [localAddress, setLocalAddress] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)

  const issues = validationIssues(error)
  const issueOf = (field: string) => issues.find((issue) => issue.field === field)
  const urlProblem =
    url.kind === 'invalid' && touched
      ? ruleText(language, { kind: 'egress_url', problem: url.problem })
      : null
  const direct = url.kind === 'direct'

  async function submit(event: FormEvent) {
    event.preventDefault()
    const input = urlRef.current
    if (busy || !input) return
    const shape = describeUrl(input.value)
    setUrl(shape)
    setTouched(true)
    if (shape.kind === 'empty' || shape.kind === 'invalid') {
      input.focus()
      return
    }
    setBusy(true)
    setError(null)
    try {
      const trimmedLabel = label.trim()
      const address = localAddress.trim()
      const egress = await api.createEgress({
        url: input.value.trim(),
        ...(trimmedLabel === '' ? {} : { label: trimmedLabel }),
        ...(shape.kind === 'direct' && address !== '' ? { localAddress: address } : {}),
      })
      input.value = ''
      setUrl({ kind: 'empty' })
      setTouched(false)
      setLabel('')
      setLocalAddress('')
      toast('success', t('egresses.added', { name: egressName(t, egress) }))
      onAdded(egress)
    } catch (failure) {
      setError(failure)
    } finally {
      setBusy(false)
    }
  }

  const describedBy = (field: string, ...ids: string[]) =>
    [...ids, issueOf(field) ? `${id}-${field}-issue` : ''].filter(Boolean).join(' ') || undefined

  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} className="card__title">
        {t('egresses.add')}
      </h2>
      <form className="egress-form" onSubmit={submit} autoComplete="off" noValidate>
        <div className="field">
          <label htmlFor={`${id}-url`}>{t('egresses.url')}</label>
          <input
            ref={urlRef}
            id={`${id}-url`}
            className="input input--mono"
            type="text"
            autoComplete="off"
            autoCapitalize="off"
            autoCorrect="off"
            spellCheck={false}
            maxLength={EGRESS_URL_MAX}
            placeholder="socks5://user:pass@host:1080 / direct"
            aria-invalid={urlProblem !== null || issueOf('url') !== undefined}
            aria-describedby={describedBy(
              'url',
              `${id}-url-hint`,
              url.kind === 'direct' || url.kind === 'proxy' ? `${id}-url-kind` : '',
              urlProblem === null ? '' : `${id}-url-problem`,
            )}
            onChange={(event) => {
              setUrl(describeUrl(event.target.value))
              setError(null)
            }}
            onBlur={(event) => {
              if (event.target.value.trim() !== '') setTouched(true)
            }}
          />
          {urlProblem !== null && (
            <p id={`${id}-url-problem`} className="field__error">
              {urlProblem}
            </p>
          )}
          <p id={`${id}-url-hint`} className="field__hint">
            {t('egresses.urlHint')} {t('egresses.urlSecret')}
          </p>
          {(url.kind === 'direct' || url.kind === 'proxy') && (
            <p id={`${id}-url-kind`} className="field__hint">
              <UrlRecognised shape={url} />
            </p>
          )}
        </div>
        {direct && (
          <div className="field">
            <label htmlFor={`${id}-address`}>{t('egresses.localAddress')}</label>
            <input
              id={`${id}-address`}
              className="input input--mono"
              autoComplete="off"
              spellCheck={false}
              maxLength={64}
              aria-invalid={issueOf('localAddress') !== undefined}
              aria-describedby={describedBy('localAddress', `${id}-address-hint`)}
              value={localAddress}
              onChange={(event) => setLocalAddress(event.target.value)}
            />
            <p id={`${id}-address-hint`} className="field__hint">
              {t('egresses.localAddressHint')}
            </p>
          </div>
        )}
        <div className="field">
          <label htmlFor={`${id}-label`}>{t('egresses.label')}</label>
          <input
            id={`${id}-label`}
            className="input"
            maxLength={EGRESS_LABEL_MAX}
            aria-invalid={issueOf('label') !== undefined}
            aria-describedby={describedBy('label')}
            value={label}
            onChange={(event) => setLabel(event.target.value)}
          />
        </div>
        <button
          type="submit"
          className="button button--primary"
          disabled={busy || url.kind === 'empty'}
        >
          {busy ? t('egresses.submitting') : t('egresses.submit')}
        </button>
        {issues.length > 0 ? (
          <FieldIssues issues={issues} idPrefix={id} />
        ) : (
          <ErrorNotice error={error} />
        )}
      </form>
    </section>
  )
}

/** What the URL was recognised as (never the URL itself). */
function UrlRecognised({ shape }: { shape: UrlShape }) {
  const { t } = useI18n()
  if (shape.kind === 'direct') {
    return <strong>{t('egresses.parsed', { kind: t('egress.kind.direct') })}</strong>
  }
  if (shape.kind !== 'proxy') return null
  const kind = t(`egress.kind.${shape.proxyKind}` as const)
  return (
    <strong>
      {shape.withPassword
        ? t('egresses.parsedWithPassword', { kind })
        : t('egresses.parsed', { kind })}
    </strong>
  )
}

/**
 * A 400's field issues: the field by its name on the form (else its name in words) and the
 * refused rule in the page language (a rule without a code: the server's words).
 */
function FieldIssues({ issues, idPrefix }: { issues: readonly FieldIssue[]; idPrefix: string }) {
  const { t, language } = useI18n()
  return (
    <div role="alert" className="notice notice--error">
      {t('error.validation')}
      <ul className="notice__fields">
        {issues.map((issue, index) => (
          <li
            key={`${issue.field}:${issue.reason}`}
            id={
              // The first issue of a form field describes that field (aria-describedby).
              isFormField(issue.field) &&
              issues.findIndex((other) => other.field === issue.field) === index
                ? `${idPrefix}-${issue.field}-issue`
                : undefined
            }
          >
            {isFormField(issue.field) ? t(FORM_FIELDS[issue.field]) : <code>{issue.field}</code>}
            {t('egresses.fieldSeparator')}
            {describeFieldIssue(language, issue).reason}
          </li>
        ))}
      </ul>
    </div>
  )
}
