import {
  type DispatchStatus,
  EGRESS_STATES,
  emptyStatusCounts,
  type LaneStatus,
  type PoolStatus,
} from '@sfp/schemas'
import { Counter, Gauge, type Registry } from 'prom-client'
import type { RequestLog } from '../plugins/request-log.js'

/** What the scrape-time metrics read. */
export interface MetricSources {
  dispatchStatus(): DispatchStatus
  /** Each egress lane: its state and slots. */
  laneStatus(): LaneStatus[]
  poolStatus(): PoolStatus
  requestLogBacklog: Pick<RequestLog, 'pending' | 'dropped'>
}

/** An unknown value is no sample at all: a 0 would read as "balance zero" or "key #0". */
function setOrRemove(gauge: Gauge, value: number | null): void {
  if (value === null) gauge.remove()
  else gauge.set(value)
}

/**
 * Gauges (and one counter) that read the app's state when scraped rather than being kept up to
 * date on every change: a scrape every few seconds costs less than a hook on every slot hand-off.
 */
export function registerScrapeTimeMetrics(
  sources: MetricSources,
  name: (suffix: string) => string,
  registers: Registry[],
): void {
  const { dispatchStatus, laneStatus, poolStatus, requestLogBacklog } = sources
  new Gauge({
    name: name('dispatch_in_flight'),
    help: 'Upstream calls holding a dispatch slot now (proxied requests and balance checks).',
    registers,
    collect() {
      this.set(dispatchStatus().inFlight)
    },
  })
  new Gauge({
    name: name('dispatch_queued'),
    help: 'Upstream calls waiting for a dispatch slot now.',
    registers,
    collect() {
      this.set(dispatchStatus().queued)
    },
  })
  new Gauge({
    name: name('egress_state'),
    help: 'Each egress lane: 1 for the state it is in (up, down, blocked, disabled), 0 for the others.',
    labelNames: ['egress_id', 'state'] as const,
    registers,
    collect() {
      // A deleted egress leaves no stale series behind.
      this.reset()
      for (const lane of laneStatus()) {
        for (const state of EGRESS_STATES) {
          this.set({ egress_id: String(lane.id), state }, lane.state === state ? 1 : 0)
        }
      }
    },
  })
  new Gauge({
    name: name('egress_in_flight'),
    help: 'Upstream calls holding a slot of each egress lane now.',
    labelNames: ['egress_id'] as const,
    registers,
    collect() {
      this.reset()
      for (const lane of laneStatus()) {
        this.set({ egress_id: String(lane.id) }, lane.dispatch.inFlight)
      }
    },
  })
  new Gauge({
    name: name('upstream_keys'),
    help: 'Upstream keys by state (active, cooling, insufficient, invalid, error, disabled).',
    labelNames: ['state'] as const,
    registers,
    collect() {
      const counts = { ...emptyStatusCounts(), ...poolStatus().byStatus }
      for (const [state, count] of Object.entries(counts)) this.set({ state }, count)
    },
  })
  new Gauge({
    name: name('upstream_balance_cny'),
    help: 'Sum of the known balances of the upstream keys, CNY; absent while none is known.',
    registers,
    collect() {
      setOrRemove(this, poolStatus().totalBalance)
    },
  })
  new Gauge({
    name: name('key_in_use_id'),
    help: 'Id of the upstream key in use; absent while there is none.',
    registers,
    collect() {
      setOrRemove(this, poolStatus().currentKeyId)
    },
  })
  new Gauge({
    name: name('request_log_pending_rows'),
    help: 'Request log rows queued in memory, not yet written.',
    registers,
    collect() {
      this.set(requestLogBacklog.pending())
    },
  })
  let droppedCounted = 0
  new Counter({
    name: name('request_log_rows_dropped_total'),
    help: 'Request log rows dropped because the database could not keep up or failed.',
    registers,
    collect() {
      const dropped = requestLogBacklog.dropped()
      if (dropped > droppedCounted) this.inc(dropped - droppedCounted)
      droppedCounted = dropped
    },
  })
}
