import type { InstanceStatus, LaneStatus } from '@sfp/schemas'
import { egressAnchor, egressName } from '../../components/egress-name.js'
import { InstanceName } from '../../components/LaneDriver.js'
import { RelativeTime } from '../../components/RelativeTime.js'
import { useNow } from '../../hooks/useNow.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import { Link } from '../../router/Link.js'

/** "Last seen 5 s ago" moves on this often between statuses. */
const LAST_SEEN_REFRESH_MS = 5000

interface InstancesCardProps {
  instances: readonly InstanceStatus[]
  /** For the lanes' labels. */
  lanes: readonly LaneStatus[]
  clockOffsetMs: number
}

/**
 * Cluster mode's instances (docs/behaviour.md §9): where each listens, the lanes it drives, when
 * it was last seen and started; the one answering this page is tagged.
 */
export function InstancesCard({ instances, lanes, clockOffsetMs }: InstancesCardProps) {
  const { t, format } = useI18n()
  // lastSeenAt is the server's time: compare it with the server's clock, not this browser's.
  const serverNow = useNow(LAST_SEEN_REFRESH_MS) + clockOffsetMs
  const labels = new Map(lanes.map((lane) => [lane.id, lane.label]))
  return (
    <section className="card card--wide" aria-labelledby="instances-title">
      <div className="card__heading">
        <h2 id="instances-title" className="card__title">
          {t('instances.title')}
        </h2>
      </div>
      <p className="card__note">{t('instances.explain')}</p>
      <div className="table-scroll">
        <table className="table instances-table">
          <thead>
            <tr>
              <th scope="col">{t('instances.col.id')}</th>
              <th scope="col">{t('instances.col.address')}</th>
              <th scope="col">{t('instances.col.lanes')}</th>
              <th scope="col">{t('instances.col.lastSeen')}</th>
              <th scope="col">{t('instances.col.startedAt')}</th>
            </tr>
          </thead>
          <tbody>
            {instances.map((instance) => (
              <tr key={instance.id} data-instance-id={instance.id}>
                <th scope="row">
                  <InstanceName id={instance.id} self={instance.self} />
                </th>
                <td>
                  {instance.address === null ? (
                    <span className="muted">{t('common.unknown')}</span>
                  ) : (
                    <code>{instance.address}</code>
                  )}
                </td>
                <td>
                  {instance.lanes.length === 0 ? (
                    <span className="muted">{t('instances.noLanes')}</span>
                  ) : (
                    <ul className="instance-lanes">
                      {instance.lanes.map((id) => (
                        <li key={id}>
                          <Link to={`/egresses#${egressAnchor(id)}`}>
                            {egressName(t, { id, label: labels.get(id) ?? null })}
                          </Link>
                        </li>
                      ))}
                    </ul>
                  )}
                </td>
                <td>
                  <RelativeTime iso={instance.lastSeenAt} now={serverNow} />
                </td>
                <td>
                  <time dateTime={instance.startedAt}>{format.dateTime(instance.startedAt)}</time>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  )
}
