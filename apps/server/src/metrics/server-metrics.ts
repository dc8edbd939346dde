import type { KeySwitchEvent } from '@sfp/dispatch'
import type { ProxyRequestRecord } from '@sfp/proxy'
import { Counter, Histogram, Registry } from 'prom-client'
import type { RequestLogFlush } from '../plugins/request-log.js'
import { createBoundedLabel } from './bounded-label.js'
import { METRIC_PREFIX, processMetricsRegistry } from './process-metrics.js'
import { type MetricSources, registerScrapeTimeMetrics } from './scrape-time-metrics.js'

export type { MetricSources }

/**
 * One app instance's metrics (CONTRACT §3 `GET /metrics`). Labels hold key ids, route patterns,
 * statuses, error codes and model names: never a key, a client key or a password.
 */
export interface ServerMetrics {
  /** What `GET /metrics` serves: this instance's metrics and the process's. */
  registry: Registry
  httpRequests: Counter<'route' | 'method' | 'status'>
  proxyRequests: Counter<'status' | 'error_type'>
  upstreamDuration: Histogram
  upstreamTimeToFirstByte: Histogram
  upstreamRetries: Counter
  tokens: Counter<'key_id' | 'model' | 'type'>
  queueWait: Histogram
  keySwitches: Counter
  requestLogFlushDuration: Histogram
  requestLogRowsWritten: Counter
  observeProxyRecord(record: ProxyRequestRecord): void
  observeRequestLogFlush(flush: RequestLogFlush): void
  observeKeySwitch(event: KeySwitchEvent): void
}

/** LLM calls run from tens of milliseconds (a cached embedding) to minutes (a thinking model). */
const LLM_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300]
/** Up to DISPATCH_QUEUE_TIMEOUT_MS' default of 10 minutes. */
const QUEUE_WAIT_SECONDS = [0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600]
/** One SQLite transaction of up to 500 rows. */
const FLUSH_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]

const MAX_MODELS = 200
const MAX_MODEL_LENGTH = 100

const seconds = (ms: number) => ms / 1000

export function createServerMetrics(sources: MetricSources): ServerMetrics {
  const own = new Registry()
  const registers = [own]
  const name = (suffix: string) => `${METRIC_PREFIX}${suffix}`
  const modelLabel = createBoundedLabel({ maxValues: MAX_MODELS, maxLength: MAX_MODEL_LENGTH })

  const httpRequests = new Counter({
    name: name('http_requests_total'),
    help: 'HTTP requests answered, by route pattern, method and status.',
    labelNames: ['route', 'method', 'status'] as const,
    registers,
  })
  const proxyRequests = new Counter({
    name: name('proxy_requests_total'),
    help: 'Proxied requests (/v1/*, /api/proxy/*), by the status the client got and error type.',
    labelNames: ['status', 'error_type'] as const,
    registers,
  })
  const upstreamDuration = new Histogram({
    name: name('proxy_upstream_duration_seconds'),
    help: 'Proxied requests that went upstream: arrival to the last byte, queue and retries included.',
    buckets: LLM_SECONDS,
    registers,
  })
  const upstreamTimeToFirstByte = new Histogram({
    name: name('proxy_time_to_first_byte_seconds'),
    help: 'Proxied requests that went upstream: arrival to the first byte handed to the client.',
    buckets: LLM_SECONDS,
    registers,
  })
  const upstreamRetries = new Counter({
    name: name('proxy_retries_total'),
    help: 'Upstream attempts beyond the first of each proxied request.',
    registers,
  })
  const tokens = new Counter({
    name: name('proxy_tokens_total'),
    help: `Tokens the upstream reported, by upstream key id, model (first ${MAX_MODELS} seen, then "other") and type (prompt, completion).`,
    labelNames: ['key_id', 'model', 'type'] as const,
    registers,
  })
  const queueWait = new Histogram({
    name: name('dispatch_queue_wait_seconds'),
    help: 'How long proxied requests waited for a dispatch slot.',
    buckets: QUEUE_WAIT_SECONDS,
    registers,
  })
  const keySwitches = new Counter({
    name: name('key_switches_total'),
    help: 'Moves of the key in use from one upstream key to another (the first key taken is not one).',
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
  registerScrapeTimeMetrics(sources, name, registers)

  function addTokens(keyId: number | null, model: string, type: string, count: number | null) {
    if (count === null || count <= 0) return
    tokens.inc({ key_id: keyId === null ? 'none' : String(keyId), model, type }, count)
  }

  return {
    registry: Registry.merge([processMetricsRegistry(), own]),
    httpRequests,
    proxyRequests,
    upstreamDuration,
    upstreamTimeToFirstByte,
    upstreamRetries,
    tokens,
    queueWait,
    keySwitches,
    requestLogFlushDuration,
    requestLogRowsWritten,
    observeProxyRecord(record) {
      proxyRequests.inc({ status: String(record.status), error_type: record.errorType ?? 'none' })
      if (record.queueWaitMs !== null) queueWait.observe(seconds(record.queueWaitMs))
      // Requests refused before any attempt (bad client key, queue full) say nothing of upstream.
      if (record.attempts > 0) {
        upstreamDuration.observe(seconds(record.durationMs))
        if (record.ttfbMs !== null) upstreamTimeToFirstByte.observe(seconds(record.ttfbMs))
      }
      if (record.attempts > 1) upstreamRetries.inc(record.attempts - 1)
      if (record.promptTokens !== null || record.completionTokens !== null) {
        const model = modelLabel(record.model)
        addTokens(record.upstreamKeyId, model, 'prompt', record.promptTokens)
        addTokens(record.upstreamKeyId, model, 'completion', record.completionTokens)
      }
    },
    observeRequestLogFlush({ rows, durationMs }) {
      requestLogFlushDuration.observe(seconds(durationMs))
      requestLogRowsWritten.inc(rows)
    },
    observeKeySwitch({ fromKeyId }) {
      if (fromKeyId !== null) keySwitches.inc()
    },
  }
}
