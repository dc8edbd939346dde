import type { KeySwitchEvent } from '@sfp/dispatch'
import type { ProxyRequestRecord } from '@sfp/proxy'
import { Counter, Histogram, Registry } from 'prom-client'
import type { RequestLogFlush } from '../plugins/request-log.js'
import { labelledCounter } from './labelled-children.js'
import { METRIC_PREFIX, processMetricsRegistry } from './process-metrics.js'
import type { ProxyEndpoint } from './proxy-endpoint.js'
import { registerProxyMetrics } from './proxy-metrics.js'
import { type MetricSources, registerScrapeTimeMetrics } from './scrape-time-metrics.js'

export type { MetricSources }

export interface ServerMetricsDeps extends MetricSources {
  /** True for a value equal to a key or password the server knows: it never becomes a label. */
  isSecret(value: string): boolean
}

/** One answered HTTP request, as the `onResponse` hook sees it. */
export interface HttpResponseFacts {
  /** The route pattern (`/api/manage/api-keys/:id`), never the raw URL. */
  route: string
  method: string
  status: number
  /** Proxy routes only: which SiliconFlow endpoint was called. */
  endpoint?: ProxyEndpoint | undefined
}

/**
 * One app instance's metrics (docs/behaviour.md §3 `GET /metrics`). Labels hold key ids, route
 * patterns, endpoints from a fixed list, statuses, error codes and model ids: never a key, a client
 * key or a password.
 */
export interface ServerMetrics {
  /** What `GET /metrics` serves: this instance's metrics and the process's. */
  registry: Registry
  observeHttpResponse(facts: HttpResponseFacts): void
  observeProxyRecord(record: ProxyRequestRecord): void
  observeRequestLogFlush(flush: RequestLogFlush): void
  observeKeySwitch(event: KeySwitchEvent): void
  /** Cluster mode: a lease renewal's round trip, or how long a change took to reach this instance. */
  observeClusterTiming(timing: ClusterTiming): void
}

/** What the cluster plugin times (docs/behaviour.md §9), ms. */
export interface ClusterTiming {
  kind: 'lease_renewal' | 'change_delay'
  ms: number
}

/** A lease renewal (one statement) or a NOTIFY's trip to another instance. */
const CLUSTER_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

/** One transaction of up to REQUEST_LOG_BATCH_ROWS (500) rows. */
const FLUSH_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]

const seconds = (ms: number) => ms / 1000

export function createServerMetrics(deps: ServerMetricsDeps): ServerMetrics {
  const own = new Registry()
  const registers = [own]
  const name = (suffix: string) => `${METRIC_PREFIX}${suffix}`

  const httpRequests = labelledCounter({
    name: name('http_requests_total'),
    help: 'HTTP requests answered, by route pattern, method and status; on the proxy routes also by SiliconFlow endpoint.',
    labelNames: ['route', 'method', 'status', 'endpoint'] as const,
    registers,
  })
  const keySwitches = new Counter({
    name: name('key_switches_total'),
    help: "Moves of an egress lane from one upstream key to another (a lane's first key is not one).",
    labelNames: ['egress_id'] as const,
    registers,
  })
  const requestLogFlushDuration = new Histogram({
    name: name('request_log_flush_duration_seconds'),
    help: 'Time to write one batch of request log rows (one transaction).',
    buckets: FLUSH_SECONDS,
    registers,
  })
  const requestLogRowsWritten = new Counter({
    name: name('request_log_rows_written_total'),
    help: 'Request log rows written to the database.',
    registers,
  })
  const leaseRenewal = new Histogram({
    name: name('cluster_lease_renewal_seconds'),
    help: "Cluster mode: round trip of one renewal of this instance's lane leases.",
    buckets: CLUSTER_SECONDS,
    registers,
  })
  const changeDelay = new Histogram({
    name: name('cluster_change_delay_seconds'),
    help: 'Cluster mode: from another instance telling a change to this one hearing it.',
    buckets: CLUSTER_SECONDS,
    registers,
  })
  const observeProxyRecord = registerProxyMetrics(name, registers, deps.isSecret)
  registerScrapeTimeMetrics(deps, name, registers)

  return {
    registry: Registry.merge([processMetricsRegistry(), own]),
    observeHttpResponse({ route, method, status, endpoint }) {
      // No endpoint (not a proxy route): the series has no endpoint label at all.
      httpRequests.labels(route, method, String(status), endpoint).inc()
    },
    observeProxyRecord,
    observeRequestLogFlush({ rows, durationMs }) {
      requestLogFlushDuration.observe(seconds(durationMs))
      requestLogRowsWritten.inc(rows)
    },
    observeKeySwitch({ laneId, fromKeyId }) {
      if (fromKeyId !== null) keySwitches.inc({ egress_id: String(laneId) })
    },
    observeClusterTiming({ kind, ms }) {
      ;(kind === 'lease_renewal' ? leaseRenewal : changeDelay).observe(seconds(Math.max(0, ms)))
    },
  }
}
