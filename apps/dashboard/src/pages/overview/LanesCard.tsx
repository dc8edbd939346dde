import type { LaneStatus, StatusView } from '@sfp/schemas'
import { EgressStateBadge } from '../../components/EgressStateBadge.js'
import { egressName } from '../../components/egress-name.js'
import { GuardCountdown } from '../../components/GuardCountdown.js'
import { foreignFiguresNote, LaneDriverTag } from '../../components/LaneDriver.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import { useExplain } from '../../i18n/useExplain.js'
import { KeyReference } from '../../key-directory/KeyReference.js'
import { type LaneDriver, laneDriver } from '../../live-status/lane-drivers.js'
import { Link } from '../../router/Link.js'

interface LanesCardProps {
  lanes: readonly LaneStatus[]
  /** Cluster mode and its instances, to tell who drives each lane. */
  cluster: Pick<StatusView, 'mode' | 'instances'>
  clockOffsetMs: number
}

/**
 * Each egress lane from the live status: its state, its key, its slots and queue, its own switch
 * guard's countdown, and why it refuses requests right now, if it does. In cluster mode also the
 * instance driving it; the figures of a lane another instance drives are that one's.
 */
export function LanesCard({ lanes, cluster, clockOffsetMs }: LanesCardProps) {
  const { t } = useI18n()
  return (
    <section className="card card--wide" aria-labelledby="lanes-title">
      <div className="card__heading">
        <h2 id="lanes-title" className="card__title">
          {t('lanes.title')}
        </h2>
        <Link to="/egresses">{t('lanes.manage')}</Link>
      </div>
      <p className="card__note">{t('lanes.explain')}</p>
      {lanes.length === 0 ? (
        <p className="notice notice--warning">{t('lanes.empty')}</p>
      ) : (
        <ul className="lanes">
          {lanes.map((lane) => (
            <Lane
              key={lane.id}
              lane={lane}
              driver={laneDriver(cluster, lane.drivenBy)}
              clockOffsetMs={clockOffsetMs}
            />
          ))}
        </ul>
      )}
    </section>
  )
}

function Lane({
  lane,
  driver,
  clockOffsetMs,
}: {
  lane: LaneStatus
  driver: LaneDriver | null
  clockOffsetMs: number
}) {
  const { t, format } = useI18n()
  const explain = useExplain()
  const { dispatch, switchGuard: guard } = lane
  const name = egressName(t, lane)
  const foreignNote = foreignFiguresNote(t, driver)
  const figures = foreignNote === null ? 'lane__number' : 'lane__number figures--elsewhere'
  return (
    <li className="lane" data-lane-id={lane.id}>
      <div className="lane__head">
        <strong className="lane__name">{name}</strong>
        {name !== t('egress.name', { id: lane.id }) && <span className="muted">#{lane.id}</span>}
        <EgressStateBadge state={lane.state} />
      </div>
      <dl className="lane__facts">
        {driver !== null && (
          <div>
            <dt>{t('lanes.drivenBy')}</dt>
            <dd>
              <LaneDriverTag driver={driver} />
            </dd>
          </div>
        )}
        <div>
          <dt>{t('lanes.key')}</dt>
          <dd>
            <KeyReference keyId={guard.currentKeyId} />
          </dd>
        </div>
        <div>
          <dt>{t('lanes.inFlight')}</dt>
          <dd className={figures} title={foreignNote ?? undefined}>
            {t('dispatch.ofMax', {
              value: format.number(dispatch.inFlight),
              max: format.number(dispatch.concurrency),
            })}
          </dd>
        </div>
        <div>
          <dt>{t('lanes.queued')}</dt>
          <dd
            className={`${figures} ${dispatch.queued > 0 && foreignNote === null ? 'stat--warning' : ''}`}
            title={foreignNote ?? undefined}
          >
            {format.number(dispatch.queued)}
          </dd>
        </div>
        <div>
          <dt>{t('guard.nextSwitch')}</dt>
          <dd>
            <GuardCountdown until={guard.nextSwitchAllowedAt} clockOffsetMs={clockOffsetMs} />
          </dd>
        </div>
      </dl>
      {guard.blocked && (
        <div className="notice notice--warning lane__blocked">
          <strong>
            {t('guard.blocked')}: {t(`guard.blocked.${guard.blocked.code}` as const)}
          </strong>
          {guard.blocked.retryAfterSeconds !== null && (
            <> · {t('guard.retryIn', { seconds: guard.blocked.retryAfterSeconds })}</>
          )}
          <div className="notice__detail">
            {explain(guard.blocked.explanation, guard.blocked.message)}
          </div>
        </div>
      )}
    </li>
  )
}
