import type { ProxyRequestRecord } from '@sfp/proxy'
import type { Registry } from 'prom-client'
import { labelledCounter, labelledHistogram } from './labelled-children.js'
import { createModelLabel } from './model-label.js'
import { proxyEndpointOfUpstreamPath } from './proxy-endpoint.js'

/** Whole LLM calls: from tens of milliseconds (a cached embedding) to minutes (a thinking model). */
const DURATION_SECONDS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300]
/** A first byte can come within a millisecond (an error, a cached answer) or after a minute. */
const FIRST_BYTE_SECONDS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60,
]
/** Up to DISPATCH_QUEUE_TIMEOUT_MS' default of 10 minutes. */
const QUEUE_WAIT_SECONDS = [0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600]

const MAX_MODELS = 200

const seconds = (ms: number) => ms / 1000
const egressLabel = (id: number | null | undefined) =>
  typeof id === 'number' ? String(id) : 'none'

/**
 * The metrics of proxied requests, fed by the proxy's request records. Two clocks: `request_*`
 * from the request's arrival (what the client lived through, dispatch queue included) and
 * `upstream_*` from the dispatch slot being granted (what upstream took, retries included):
 * under serialized dispatch the first is mostly queueing, which the second leaves out.
 */
export function registerProxyMetrics(
  name: (suffix: string) => string,
  registers: Registry[],
  isSecret: (value: string) => boolean,
): (record: ProxyRequestRecord) => void {
  const modelLabel = createModelLabel({ maxValues: MAX_MODELS, isSecret })
  const requests = labelledCounter({
    name: name('proxy_requests_total'),
    help: 'Proxied requests (/v1/*, /api/proxy/*), by SiliconFlow endpoint, the status the client got and error type.',
    labelNames: ['endpoint', 'status', 'error_type'] as const,
    registers,
  })
  const histogram = (suffix: string, help: string, buckets: number[]) =>
    labelledHistogram({
      name: name(suffix),
      help,
      buckets,
      labelNames: ['endpoint'] as const,
      registers,
    })
  /** Upstream figures, also by the egress lane of the last attempt (`none`: nothing went out). */
  const upstreamHistogram = (suffix: string, help: string, buckets: number[]) =>
    labelledHistogram({
      name: name(suffix),
      help,
      buckets,
      labelNames: ['endpoint', 'egress_id'] as const,
      registers,
    })
  const requestDuration = histogram(
    'proxy_request_duration_seconds',
    'Proxied requests that went upstream: arrival to the last byte, dispatch queue and retries included.',
    DURATION_SECONDS,
  )
  const requestFirstByte = histogram(
    'proxy_request_time_to_first_byte_seconds',
    'Proxied requests that went upstream: arrival to the first byte handed to the client, dispatch queue included.',
    FIRST_BYTE_SECONDS,
  )
  const upstreamDuration = upstreamHistogram(
    'proxy_upstream_duration_seconds',
    'Proxied requests: dispatch slot granted to the last byte (upstream time, retries included, queue excluded), by egress lane.',
    DURATION_SECONDS,
  )
  const upstreamFirstByte = upstreamHistogram(
    'proxy_upstream_time_to_first_byte_seconds',
    'Proxied requests: dispatch slot granted to the first byte handed to the client (queue excluded), by egress lane.',
    FIRST_BYTE_SECONDS,
  )
  const retries = labelledCounter({
    name: name('proxy_retries_total'),
    help: 'Upstream attempts beyond the first of each proxied request, by the egress lane of its last attempt.',
    labelNames: ['egress_id'] as const,
    registers,
  })
  const tokens = labelledCounter({
    name: name('proxy_tokens_total'),
    help: `Tokens the upstream reported, by upstream key id, model (model ids only, the first ${MAX_MODELS} seen, else "other") and type (prompt, completion).`,
    labelNames: ['key_id', 'model', 'type'] as const,
    registers,
  })
  const queueWait = labelledHistogram({
    name: name('dispatch_queue_wait_seconds'),
    help: 'How long proxied requests waited for a dispatch slot.',
    buckets: QUEUE_WAIT_SECONDS,
    labelNames: [] as const,
    registers,
  }).labels()

  function addTokens(keyId: number | null, model: string, type: string, count: number | null) {
    if (count === null || count <= 0) return
    tokens.labels(keyId === null ? 'none' : String(keyId), model, type).inc(count)
  }

  return (record) => {
    const endpoint = proxyEndpointOfUpstreamPath(record.path)
    requests.labels(endpoint, String(record.status), record.errorType ?? 'none').inc()
    const { queueWaitMs, ttfbMs, durationMs } = record
    if (queueWaitMs !== null) queueWait.observe(seconds(queueWaitMs))
    // Requests refused before any attempt (bad client key, queue full) say nothing of upstream.
    if (record.attempts > 0) {
      requestDuration.labels(endpoint).observe(seconds(durationMs))
      if (ttfbMs !== null) requestFirstByte.labels(endpoint).observe(seconds(ttfbMs))
      if (queueWaitMs !== null) {
        const egressId = egressLabel(record.egressId)
        upstreamDuration.labels(endpoint, egressId).observe(seconds(durationMs - queueWaitMs))
        if (ttfbMs !== null) {
          upstreamFirstByte.labels(endpoint, egressId).observe(seconds(ttfbMs - queueWaitMs))
        }
      }
    }
    if (record.attempts > 1) {
      retries.labels(egressLabel(record.egressId)).inc(record.attempts - 1)
    }
    if (record.promptTokens !== null || record.completionTokens !== null) {
      const model = modelLabel(record.model)
      addTokens(record.upstreamKeyId, model, 'prompt', record.promptTokens)
      addTokens(record.upstreamKeyId, model, 'completion', record.completionTokens)
    }
  }
}
