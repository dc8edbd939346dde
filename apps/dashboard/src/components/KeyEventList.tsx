import type { KeyEventView } from '@sfp/schemas'
import { useI18n } from '../i18n/I18nProvider.js'
import { useExplain } from '../i18n/useExplain.js'
import { KeyReference } from '../key-directory/KeyReference.js'
import { RelativeTime } from './RelativeTime.js'
import { StatusBadge } from './StatusBadge.js'

/**
 * What happened to keys, newest first; the reason is the server's code rendered in the reader's
 * language (its English text only for events stored before codes existed), always plain text.
 */
export function KeyEventList({
  events,
  showKey = true,
}: {
  events: readonly KeyEventView[]
  showKey?: boolean
}) {
  const { t } = useI18n()
  const explain = useExplain()
  if (events.length === 0) return <p className="muted">{t('events.empty')}</p>
  return (
    <ol className="event-list">
      {events.map((event) => {
        const reason = explain(event.explanation, event.reason)
        return (
          <li key={event.id} className="event-list__item">
            <span className="event-list__time">
              <RelativeTime iso={event.time} />
            </span>
            <span className={`event-list__type event-list__type--${event.type}`}>
              {t(`events.type.${event.type}` as const)}
            </span>
            {showKey && <KeyReference keyId={event.keyId} />}
            {(event.fromStatus || event.toStatus) && (
              <span className="event-list__states">
                {event.fromStatus && <StatusBadge status={event.fromStatus} />}
                {event.fromStatus && event.toStatus && <span aria-hidden="true"> → </span>}
                {event.toStatus && <StatusBadge status={event.toStatus} />}
              </span>
            )}
            {reason && <span className="event-list__reason">{reason}</span>}
          </li>
        )
      })}
    </ol>
  )
}
