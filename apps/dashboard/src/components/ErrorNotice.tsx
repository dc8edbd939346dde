import { ApiError, INVALID_RESPONSE, NETWORK_ERROR } from '../api/api-error.js'
import type { MessageKey } from '../i18n/catalog.js'
import { describeFieldIssue } from '../i18n/field-issues.js'
import { useI18n } from '../i18n/I18nProvider.js'
import { useExplain } from '../i18n/useExplain.js'

/** Server error codes explained in the page language (the server's text is English). */
const KNOWN_CODES: ReadonlyMap<string, MessageKey> = new Map([
  ['key_switch_guard', 'error.keySwitchGuard'],
  ['no_available_egress', 'error.noAvailableEgress'],
  ['egress_blocked', 'error.egressBlocked'],
  ['database_unavailable', 'error.databaseUnavailable'],
  ['request_timeout', 'error.requestTimeout'],
  ['egress_exists', 'error.egressExists'],
  ['egress_builtin', 'error.egressBuiltin'],
])

/** A failed call, explained in the user's language; server texts are shown as plain text. */
export function ErrorNotice({ error, className }: { error: unknown; className?: string }) {
  const { t, language } = useI18n()
  if (error === null || error === undefined) return null
  return (
    <div role="alert" className={`notice notice--error ${className ?? ''}`}>
      <ErrorText error={error} />
      {error instanceof ApiError && error.fields.length > 0 && (
        <ul className="notice__fields">
          {error.fields.map((issue) => {
            // The field and the rule in the reader's words; the server's name kept as a title.
            const shown = describeFieldIssue(language, issue)
            return (
              <li key={`${issue.field}:${issue.reason}`}>
                <span title={issue.field}>{shown.field}</span>
                {language === 'zh' ? '：' : ': '}
                {shown.reason}
              </li>
            )
          })}
        </ul>
      )}
      {error instanceof ApiError && error.retryAfterSeconds !== null && (
        <> {t('error.retryAfter', { seconds: error.retryAfterSeconds })}</>
      )}
    </div>
  )
}

export function ErrorText({ error }: { error: unknown }) {
  const { t } = useI18n()
  const explain = useExplain()
  if (!(error instanceof ApiError)) {
    return <>{error instanceof Error ? error.message : String(error)}</>
  }
  if (error.code === NETWORK_ERROR) return <>{t('error.network')}</>
  // The server said why as a code: its words in the reader's language, times in the reader's
  // zone, never the English message beside it.
  if (error.explanation !== null) return <>{explain(error.explanation, null)}</>
  if (error.status === 401) return <>{t('error.unauthorized')}</>
  if (error.status === 403 && error.code === 'cross_site_request')
    return <>{t('error.crossSite')}</>
  if (error.status === 404) return <>{t('error.notFound')}</>
  if (error.code === INVALID_RESPONSE)
    return <>{`${t('error.invalidResponse')} ${error.message}`}</>
  if (error.code === 'validation_error' && error.fields.length > 0)
    return <>{t('error.validation')}</>
  const known = KNOWN_CODES.get(error.code)
  if (known) return <>{t(known)}</>
  if (error.status >= 500)
    return <>{`${t('error.server', { status: error.status })} ${error.message}`}</>
  return <>{error.message}</>
}
