import type { NotificationKind } from '@sfp/schemas'
import { ErrorNotice } from '../../components/ErrorNotice.js'
import { describeFieldIssue } from '../../i18n/field-issues.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import { validationIssues } from './notification-draft.js'
import { issueFieldName } from './notification-words.js'

/**
 * A refused save: a 400's field issues by the form's own field names, each rule in the page
 * language (a rule without a code: the server's words); any other error through ErrorNotice.
 */
export function TargetError({ error, kind }: { error: unknown; kind: NotificationKind }) {
  const { t, language } = useI18n()
  const issues = validationIssues(error)
  if (issues.length === 0) return <ErrorNotice error={error} />
  return (
    <div role="alert" className="notice notice--error">
      {t('error.validation')}
      <ul className="notice__fields">
        {issues.map((issue) => (
          <li key={`${issue.field}:${issue.reason}`}>
            {issueFieldName(t, kind, issue.field)}
            {t('notifications.fieldSeparator')}
            {describeFieldIssue(language, issue).reason}
          </li>
        ))}
      </ul>
    </div>
  )
}
