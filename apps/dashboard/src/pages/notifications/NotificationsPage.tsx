import { NOTIFICATION_EVENTS, type NotificationView } from '@sfp/schemas'
import { useCallback } from 'react'
import { useAdminApi } from '../../auth/SessionProvider.js'
import { ErrorNotice } from '../../components/ErrorNotice.js'
import { RelativeTime } from '../../components/RelativeTime.js'
import { useApiResource } from '../../hooks/useApiResource.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import { AddNotificationForm } from './AddNotificationForm.js'
import { NotificationActions } from './NotificationActions.js'
import { eventName, failureText, kindName, targetName } from './notification-words.js'
import './notifications.css'

/** Where the server tells the operator that something needs a person, and that it recovered. */
export function NotificationsPage() {
  const { t } = useI18n()
  const api = useAdminApi()
  const list = useApiResource((signal) => api.listNotifications(signal), [api])
  const { reload } = list
  const targets = list.data?.notifications ?? []
  const changed = useCallback(() => reload(), [reload])

  return (
    <section className="page" aria-labelledby="notifications-title">
      <div className="page__heading">
        <h1 id="notifications-title">{t('notifications.title')}</h1>
        <button type="button" className="button" onClick={reload} disabled={list.loading}>
          {list.loading ? t('common.loading') : t('common.refresh')}
        </button>
      </div>
      <div className="notifications-intro">
        <p>{t('notifications.intro')}</p>
        <p className="muted">{t('notifications.keywordNote')}</p>
      </div>
      <AddNotificationForm onAdded={changed} />
      <section aria-labelledby="notification-list-title">
        <h2 id="notification-list-title" className="section-title">
          {t('notifications.list')}
        </h2>
        <ErrorNotice error={list.error} />
        {list.data && targets.length === 0 && (
          <p className="notice notice--info">{t('notifications.empty')}</p>
        )}
        {list.data === undefined && !list.error && <p className="muted">{t('common.loading')}</p>}
        {targets.length > 0 && (
          <div className="table-scroll">
            <table className="table notification-table">
              <thead>
                <tr>
                  <th scope="col">{t('notifications.col.target')}</th>
                  <th scope="col">{t('notifications.col.address')}</th>
                  <th scope="col">{t('notifications.col.events')}</th>
                  <th scope="col">{t('notifications.col.language')}</th>
                  <th scope="col">{t('notifications.col.state')}</th>
                  <th scope="col">{t('notifications.col.delivery')}</th>
                  <th scope="col">
                    <span className="sr-only">{t('col.actions')}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {targets.map((target) => (
                  <TargetRow
                    key={target.id}
                    target={target}
                    onUpdated={changed}
                    onDeleted={changed}
                    onTested={changed}
                  />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </section>
  )
}

function TargetRow({
  target,
  onUpdated,
  onDeleted,
  onTested,
}: {
  target: NotificationView
  onUpdated(target: NotificationView): void
  onDeleted(id: number): void
  onTested(): void
}) {
  const { t, format } = useI18n()
  const name = targetName(t, target)
  return (
    <tr data-notification-id={target.id}>
      <td>
        <span className="notification-title">
          <span className="badge">{kindName(t, target.kind)}</span>{' '}
          {target.label !== null && <span className="notification-title__name">{name}</span>}
        </span>
        {target.label === null && <div className="cell-sub">{name}</div>}
      </td>
      <td className="notification-table__address">
        {/* Already masked by the server: tokens and query values are `***`. */}
        <code className="notification-url">{target.url}</code>
        {target.chatId !== null && (
          <div className="cell-sub">{t('notifications.chat', { chatId: target.chatId })}</div>
        )}
        {target.kind !== 'wecom' && target.kind !== 'telegram' && (
          <div className="cell-sub">
            {target.hasSecret ? t('notifications.hasSecret') : t('notifications.unsigned')}
          </div>
        )}
      </td>
      <td>
        <EventsSummary events={target.events} />
      </td>
      <td>{t(`notifications.language.${target.language}`)}</td>
      <td>
        <span className={`badge ${target.enabled ? 'badge--active' : 'badge--disabled'}`}>
          {target.enabled ? t('notifications.state.enabled') : t('notifications.state.disabled')}
        </span>
      </td>
      <td>
        <div>
          {t('notifications.lastSent')}
          {t('notifications.fieldSeparator')}
          <RelativeTime iso={target.lastSentAt} />
        </div>
        {target.lastError !== null && (
          <div className="notification-error">
            {t('notifications.lastError')}
            {t('notifications.fieldSeparator')}
            {failureText(t, format, target.lastError)}
            {target.lastErrorAt !== null && (
              <div className="cell-sub">
                <RelativeTime iso={target.lastErrorAt} />
              </div>
            )}
          </div>
        )}
      </td>
      <td>
        <NotificationActions
          target={target}
          name={name}
          onUpdated={onUpdated}
          onDeleted={onDeleted}
          onTested={onTested}
        />
      </td>
    </tr>
  )
}

/** "All events (16)", or how many with their names one click away. */
function EventsSummary({ events }: { events: NotificationView['events'] }) {
  const { t } = useI18n()
  if (events.length === NOTIFICATION_EVENTS.length) {
    return <>{t('notifications.events.allCount', { count: events.length })}</>
  }
  return (
    <details>
      <summary>
        {t('notifications.events.someCount', {
          count: events.length,
          total: NOTIFICATION_EVENTS.length,
        })}
      </summary>
      <ul className="notification-event-names">
        {events.map((event) => (
          <li key={event}>{eventName(t, event)}</li>
        ))}
      </ul>
    </details>
  )
}
