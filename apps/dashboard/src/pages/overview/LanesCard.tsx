import type { LaneStatus } from '@sfp/schemas'
import { EgressStateBadge } from '../../components/EgressStateBadge.js'
import { egressName } from '../../components/egress-name.js'
import { GuardCountdown } from '../../components/GuardCountdown.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import { useExplain } from '../../i18n/useExplain.js'
import { KeyReference } from '../../key-directory/KeyReference.js'
import { Link } from '../../router/Link.js'

interface LanesCardProps {
  lanes: readonly LaneStatus[]
  clockOffsetMs: number
}

/**
 * Each egress lane from the live status: its state, its key, its slots and queue, its own switch
 * guard's countdown, and why it refuses requests right now, if it does.
 */
export function LanesCard({ lanes, clockOffsetMs }: LanesCardProps) {
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
            <Lane key={lane.id} lane={lane} clockOffsetMs={clockOffsetMs} />
          ))}
        </ul>
      )}
    </section>
  )
}

function Lane({ lane, clockOffsetMs }: { lane: LaneStatus; clockOffsetMs: number }) {
  const { t, format } = useI18n()
  const explain = useExplain()
  const { dispatch, switchGuard: guard } = lane
  const name = egressName(t, lane)
  return (
    <li className="lane" data-lane-id={lane.id}>
      <div className="lane__head">
        <strong className="lane__name">{name}</strong>
        {name !== t('egress.name', { id: lane.id }) && <span className="muted">#{lane.id}</span>}
        <EgressStateBadge state={lane.state} />
      </div>
      <dl className="lane__facts">
        <div>
          <dt>{t('lanes.key')}</dt>
          <dd>
            <KeyReference keyId={guard.currentKeyId} />
          </dd>
        </div>
        <div>
          <dt>{t('lanes.inFlight')}</dt>
          <dd className="lane__number">
            {t('dispatch.ofMax', {
              value: format.number(dispatch.inFlight),
              max: format.number(dispatch.concurrency),
            })}
          </dd>
        </div>
        <div>
          <dt>{t('lanes.queued')}</dt>
          <dd className={`lane__number ${dispatch.queued > 0 ? 'stat--warning' : ''}`}>
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
