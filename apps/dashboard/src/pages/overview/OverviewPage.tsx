import { useI18n } from '../../i18n/I18nProvider.js'
import { useLiveStatus } from '../../live-status/LiveStatusProvider.js'
import { CurrentKeyCard } from './CurrentKeyCard.js'
import { DispatchCard } from './DispatchCard.js'
import { ImportNotice } from './ImportNotice.js'
import { InstancesCard } from './InstancesCard.js'
import { LanesCard } from './LanesCard.js'
import { PoolCard } from './PoolCard.js'
import { RecentKeyEvents } from './RecentKeyEvents.js'
import { SwitchGuardCard } from './SwitchGuardCard.js'
import { UsageCharts } from './UsageCharts.js'
import './overview.css'

/**
 * The first screen: live pool, queue and guard state, the egress lanes (and in cluster mode the
 * instances driving them), usage charts and the latest key events.
 */
export function OverviewPage() {
  const { t } = useI18n()
  const { status, clockOffsetMs } = useLiveStatus()
  const guard = status?.switchGuard
  // Every lane's switches and use count, not only the built-in lane's (the top-level guard).
  const eventsSignature = status
    ? JSON.stringify([
        status.pool,
        guard?.lastSwitchAt,
        guard?.currentKeyId,
        status.egresses.map((lane) => [
          lane.switchGuard.currentKeyId,
          lane.switchGuard.lastSwitchAt,
        ]),
      ])
    : ''
  const activity = status
    ? JSON.stringify([
        status.dispatch.inFlight,
        guard?.lastUsedKeyId,
        guard?.lastUsedAt,
        status.egresses.map((lane) => lane.switchGuard.lastUsedAt),
      ])
    : null
  return (
    <section className="page" aria-labelledby="overview-title">
      <h1 id="overview-title">{t('overview.title')}</h1>
      <ImportNotice />
      {status === null ? (
        <p className="muted" role="status">
          {t('overview.waiting')}
        </p>
      ) : (
        <div className="overview-grid">
          <CurrentKeyCard keyId={status.switchGuard.currentKeyId ?? status.pool.currentKeyId} />
          <PoolCard pool={status.pool} />
          <DispatchCard dispatch={status.dispatch} />
          <SwitchGuardCard guard={status.switchGuard} clockOffsetMs={clockOffsetMs} />
        </div>
      )}
      {status !== null && (
        <LanesCard lanes={status.egresses} cluster={status} clockOffsetMs={clockOffsetMs} />
      )}
      {status?.mode === 'cluster' && (
        <InstancesCard
          instances={status.instances}
          lanes={status.egresses}
          clockOffsetMs={clockOffsetMs}
        />
      )}
      <UsageCharts activity={activity} />
      <RecentKeyEvents changeSignature={eventsSignature} />
    </section>
  )
}
