import type { LogEntry } from '@sfp/schemas'
import type { ReactNode } from 'react'
import { Dialog } from '../../components/Dialog.js'
import type { MessageKey } from '../../i18n/catalog.js'
import { describeLogError, errorTypeLabel } from '../../i18n/error-types.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import { KeyReference } from '../../key-directory/KeyReference.js'
import { EgressReference } from '../../live-status/EgressReference.js'
import { StatusCode } from './StatusCode.js'

/** Every field of one log row (docs/behaviour.md §7), as text. */
export function LogDetailDialog({ entry, onClose }: { entry: LogEntry; onClose(): void }) {
  const { t, format, language } = useI18n()
  const ms = (value: number | null) =>
    value === null ? '—' : `${format.duration(value)} (${value} ms)`
  const count = (value: number | null) => (value === null ? '—' : format.number(value))
  const text = (value: string | null) => value ?? '—'
  const rows: [MessageKey, ReactNode][] = [
    ['log.time', format.fullDateTime(entry.time)],
    ['log.requestId', <code key="id">{entry.requestId}</code>],
    ['log.method', entry.method],
    ['log.path', <code key="path">{entry.path}</code>],
    ['log.model', text(entry.model)],
    ['log.stream', entry.stream ? t('common.yes') : t('common.no')],
    ['log.status', <StatusCode key="status" status={entry.status} />],
    ['log.upstreamStatus', <StatusCode key="upstream" status={entry.upstreamStatus} />],
    ['log.attempts', count(entry.attempts)],
    ['log.upstreamKeyId', <KeyReference key="key" keyId={entry.upstreamKeyId} />],
    ['log.egressId', <EgressReference key="egress" egressId={entry.egressId} />],
    ['log.clientKeyId', entry.clientKeyId === null ? '—' : `#${entry.clientKeyId}`],
    ['log.clientIp', text(entry.clientIp)],
    ['log.queueWaitMs', ms(entry.queueWaitMs)],
    ['log.ttfbMs', ms(entry.ttfbMs)],
    ['log.durationMs', ms(entry.durationMs)],
    ['log.promptTokens', count(entry.promptTokens)],
    ['log.completionTokens', count(entry.completionTokens)],
    ['log.totalTokens', count(entry.totalTokens)],
    [
      'log.errorType',
      entry.errorType === null
        ? '—'
        : `${errorTypeLabel(language, entry.errorType)} (${entry.errorType})`,
    ],
    [
      'log.errorMessage',
      <span key="message" className="pre-wrap">
        {text(describeLogError(language, format, entry))}
      </span>,
    ],
    ['log.id', `#${entry.id}`],
  ]
  return (
    <Dialog title={t('logs.detailTitle')} onClose={onClose} size="large">
      <dl className="facts facts--two-columns">
        {rows.map(([label, value]) => (
          <div key={label} className="facts__row">
            <dt>{t(label)}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </Dialog>
  )
}
