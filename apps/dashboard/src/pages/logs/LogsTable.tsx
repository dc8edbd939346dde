import type { LogEntry } from '@sfp/schemas'
import { errorTypeLabel } from '../../i18n/error-types.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import { KeyReference } from '../../key-directory/KeyReference.js'
import { StatusCode } from './StatusCode.js'

interface LogsTableProps {
  items: readonly LogEntry[]
  onOpen(entry: LogEntry): void
}

/** One row per request; the time opens the full record. Model names are plain text. */
export function LogsTable({ items, onOpen }: LogsTableProps) {
  const { t, format, language } = useI18n()
  return (
    <div className="table-scroll">
      <table className="table logs-table">
        <thead>
          <tr>
            <th scope="col">{t('logs.col.time')}</th>
            <th scope="col">{t('logs.col.status')}</th>
            <th scope="col">{t('logs.col.request')}</th>
            <th scope="col">{t('logs.model')}</th>
            <th scope="col">{t('logs.col.key')}</th>
            <th scope="col" className="num">
              {t('logs.col.tokens')}
            </th>
            <th scope="col" className="num">
              {t('logs.col.duration')}
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((entry) => (
            <tr key={entry.id}>
              <td>
                <button
                  type="button"
                  className="link-button"
                  onClick={() => onOpen(entry)}
                  aria-label={t('logs.openDetail', { time: format.fullDateTime(entry.time) })}
                >
                  {format.dateTime(entry.time)}
                </button>
              </td>
              <td>
                <StatusCode status={entry.status} />
                {entry.errorType && (
                  <span className="cell-sub" title={entry.errorType}>
                    {errorTypeLabel(language, entry.errorType)}
                  </span>
                )}
              </td>
              <td className="logs-table__request">
                <code>
                  {entry.method} {entry.path}
                </code>
                {entry.stream && <span className="tag">{t('logs.stream')}</span>}
              </td>
              <td className="logs-table__model">
                {entry.model ?? <span className="muted">—</span>}
              </td>
              <td>
                <KeyReference keyId={entry.upstreamKeyId} />
              </td>
              <td className="num">
                {entry.totalTokens === null ? '—' : format.number(entry.totalTokens)}
              </td>
              <td className="num">{format.duration(entry.durationMs)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
