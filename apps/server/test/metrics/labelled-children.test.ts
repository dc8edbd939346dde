import type { ProxyRequestRecord } from '@sfp/proxy'
import fc from 'fast-check'
import { Counter, Histogram, Registry } from 'prom-client'
import { describe, expect, it, vi } from 'vitest'
import { labelledCounter, labelledHistogram } from '../../src/metrics/labelled-children.js'
import { createModelLabel } from '../../src/metrics/model-label.js'
import { proxyEndpointOfUpstreamPath } from '../../src/metrics/proxy-endpoint.js'
import { createServerMetrics, type HttpResponseFacts } from '../../src/metrics/server-metrics.js'
import { logRow } from '../helpers/log-rows.js'
import { fakeSources, SECRET_SHAPED_LIKE_A_MODEL } from '../helpers/metric-sources.js'

const SEED = 0x18c
const RUNS = 200

const { sources } = fakeSources()

/** The metrics the children feed, per proxied request and per answered HTTP request. */
const PER_REQUEST_METRICS = [
  'sfp_http_requests_total',
  'sfp_proxy_requests_total',
  'sfp_proxy_request_duration_seconds',
  'sfp_proxy_request_time_to_first_byte_seconds',
  'sfp_proxy_upstream_duration_seconds',
  'sfp_proxy_upstream_time_to_first_byte_seconds',
  'sfp_proxy_retries_total',
  'sfp_proxy_tokens_total',
  'sfp_dispatch_queue_wait_seconds',
]

/** What prom-client keeps of a metric's configuration, read to build its plain twin. */
interface MetricShape {
  name: string
  help: string
  labelNames: string[]
  buckets?: number[]
}

/**
 * The per-request metrics as they were written before the children: plain prom-client `inc` and
 * `observe` with a label object per call, on metrics of the same name, help and buckets.
 */
function plainPromClientFeed(real: Registry) {
  const registry = new Registry()
  const twin = (name: string) => {
    const { help, labelNames, buckets } = real.getSingleMetric(name) as unknown as MetricShape
    const config = { name, help, labelNames, registers: [registry] }
    return buckets === undefined ? new Counter(config) : new Histogram({ ...config, buckets })
  }
  const counter = (name: string) => twin(name) as Counter
  const histogram = (name: string) => twin(name) as Histogram
  const http = counter('sfp_http_requests_total')
  const requests = counter('sfp_proxy_requests_total')
  const requestDuration = histogram('sfp_proxy_request_duration_seconds')
  const requestFirstByte = histogram('sfp_proxy_request_time_to_first_byte_seconds')
  const upstreamDuration = histogram('sfp_proxy_upstream_duration_seconds')
  const upstreamFirstByte = histogram('sfp_proxy_upstream_time_to_first_byte_seconds')
  const retries = counter('sfp_proxy_retries_total')
  const tokens = counter('sfp_proxy_tokens_total')
  const queueWait = histogram('sfp_dispatch_queue_wait_seconds')
  const modelLabel = createModelLabel({ maxValues: 200, isSecret: sources.isSecret })
  const seconds = (ms: number) => ms / 1000
  const egressLabel = (id: number | null) => (id === null ? 'none' : String(id))
  const addTokens = (keyId: number | null, model: string, type: string, count: number | null) => {
    if (count === null || count <= 0) return
    tokens.inc({ key_id: keyId === null ? 'none' : String(keyId), model, type }, count)
  }

  return {
    registry,
    observeHttpResponse({ route, method, status, endpoint }: HttpResponseFacts) {
      const code = String(status)
      http.inc(
        endpoint === undefined
          ? { route, method, status: code }
          : { route, method, status: code, endpoint },
      )
    },
    observeProxyRecord(record: ProxyRequestRecord) {
      const endpoint = proxyEndpointOfUpstreamPath(record.path)
      requests.inc({
        endpoint,
        status: String(record.status),
        error_type: record.errorType ?? 'none',
      })
      const { queueWaitMs, ttfbMs, durationMs } = record
      if (queueWaitMs !== null) queueWait.observe(seconds(queueWaitMs))
      if (record.attempts > 0) {
        requestDuration.observe({ endpoint }, seconds(durationMs))
        if (ttfbMs !== null) requestFirstByte.observe({ endpoint }, seconds(ttfbMs))
        if (queueWaitMs !== null) {
          const upstream = { endpoint, egress_id: egressLabel(record.egressId) }
          upstreamDuration.observe(upstream, seconds(durationMs - queueWaitMs))
          if (ttfbMs !== null) upstreamFirstByte.observe(upstream, seconds(ttfbMs - queueWaitMs))
        }
      }
      if (record.attempts > 1) {
        retries.inc({ egress_id: egressLabel(record.egressId) }, record.attempts - 1)
      }
      if (record.promptTokens !== null || record.completionTokens !== null) {
        const model = modelLabel(record.model)
        addTokens(record.upstreamKeyId, model, 'prompt', record.promptTokens)
        addTokens(record.upstreamKeyId, model, 'completion', record.completionTokens)
      }
    },
  }
}

const maybe = <T>(value: fc.Arbitrary<T>) => fc.option(value, { nil: null })
const millis = fc.integer({ min: 0, max: 400_000 })

const proxyRecord: fc.Arbitrary<ProxyRequestRecord> = fc
  .record({
    path: fc.constantFrom(
      '/v1/chat/completions',
      '/v1/embeddings',
      '/v1/models/Qwen/Qwen2.5-7B-Instruct',
      '/v1/made-up/path',
    ),
    status: fc.constantFrom(200, 400, 401, 429, 499, 502, 503),
    errorType: maybe(fc.constantFrom('upstream_error', 'invalid_client_key', 'queue_full')),
    attempts: fc.integer({ min: 0, max: 4 }),
    queueWaitMs: maybe(fc.integer({ min: 0, max: 700_000 })),
    ttfbMs: maybe(millis),
    durationMs: millis,
    egressId: maybe(fc.integer({ min: 1, max: 3 })),
    upstreamKeyId: maybe(fc.integer({ min: 1, max: 3 })),
    model: maybe(
      fc.constantFrom(
        'Qwen/Qwen2.5-7B-Instruct',
        'deepseek-ai/DeepSeek-V3',
        'not a model',
        SECRET_SHAPED_LIKE_A_MODEL,
        '',
      ),
    ),
    promptTokens: maybe(fc.integer({ min: 0, max: 5000 })),
    completionTokens: maybe(fc.integer({ min: 0, max: 5000 })),
  })
  .map((fields) => ({ ...logRow({ requestId: 'req' }), ...fields }) as ProxyRequestRecord)

const httpResponse: fc.Arbitrary<HttpResponseFacts> = fc.record({
  route: fc.constantFrom('/v1/*', '/api/proxy/*', '/api/manage/api-keys/:id', 'unmatched'),
  method: fc.constantFrom('GET', 'POST', 'DELETE'),
  status: fc.constantFrom(200, 204, 404, 429, 502),
  endpoint: fc.constantFrom(undefined, 'chat/completions', 'embeddings', 'other'),
})

describe('labelled children', () => {
  it('serve /metrics byte for byte what plain prom-client calls serve for the same traffic', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(proxyRecord, httpResponse), { minLength: 1, maxLength: 60 }),
        async (traffic) => {
          const metrics = createServerMetrics(sources)
          const plain = plainPromClientFeed(metrics.registry)
          for (const item of traffic) {
            if ('route' in item) {
              metrics.observeHttpResponse(item)
              plain.observeHttpResponse(item)
            } else {
              metrics.observeProxyRecord(item)
              plain.observeProxyRecord(item)
            }
          }
          for (const name of PER_REQUEST_METRICS) {
            const [served, expected] = await Promise.all([
              metrics.registry.getSingleMetricAsString(name),
              plain.registry.getSingleMetricAsString(name),
            ])
            expect(served, name).toBe(expected)
          }
        },
      ),
      { seed: SEED, numRuns: RUNS },
    )
  })

  it('after its first update, update the series without prom-client validating or hashing', () => {
    const counter = labelledCounter({
      name: 'c',
      help: 'c',
      labelNames: ['a', 'b'] as const,
      registers: [],
    })
    const histogram = labelledHistogram({
      name: 'h',
      help: 'h',
      labelNames: ['a'] as const,
      buckets: [1, 2],
      registers: [],
    })
    const inc = vi.spyOn(counter.metric, 'inc')
    const observe = vi.spyOn(histogram.metric, 'observe')
    for (let round = 0; round < 3; round++) {
      counter.labels('x', 'y').inc()
      histogram.labels('x').observe(1.5)
    }
    // Once each, to create the series; a failure here means prom-client's internals changed and
    // every update now takes its slow path (still correct, no longer cheap).
    expect(inc).toHaveBeenCalledTimes(1)
    expect(observe).toHaveBeenCalledTimes(1)
    expect(counter.labels('x', 'y')).toBe(counter.labels('x', 'y'))
  })

  it('never bring back a removed or reset series, nor lose a count after one', async () => {
    const registry = new Registry()
    const counter = labelledCounter({
      name: 'c',
      help: 'c',
      labelNames: ['a'] as const,
      registers: [registry],
    })
    const histogram = labelledHistogram({
      name: 'h',
      help: 'h',
      labelNames: ['a'] as const,
      buckets: [1, 2],
      registers: [registry],
    })
    const child = counter.labels('x')
    child.inc(5)
    counter.labels('y').inc(2)
    histogram.labels('x').observe(1.5)

    counter.remove('x')
    histogram.remove('x')
    let text = await registry.metrics()
    expect(text).not.toContain('c{a="x"}')
    expect(text).not.toContain('h_count{a="x"}')
    expect(text).toContain('c{a="y"} 2')
    // The removed child is gone from the cache, and a child kept from before starts afresh.
    expect(counter.labels('x')).not.toBe(child)
    child.inc()
    histogram.labels('x').observe(0.5)
    text = await registry.metrics()
    expect(text).toContain('c{a="x"} 1\n')
    expect(text).toContain('h_bucket{le="1",a="x"} 1\n')
    expect(text).toContain('h_count{a="x"} 1\n')

    // Reset and removal on the metric itself, past the cache: the children notice.
    counter.metric.reset()
    histogram.metric.remove('x')
    expect(await registry.metrics()).not.toMatch(/a="[xy]"/)
    counter.labels('y').inc()
    histogram.labels('x').observe(3)
    text = await registry.metrics()
    expect(text).toContain('c{a="y"} 1\n')
    expect(text).not.toContain('c{a="x"}')
    expect(text).toContain('h_bucket{le="+Inf",a="x"} 1\n')
    expect(text).toContain('h_sum{a="x"} 3\n')

    counter.reset()
    expect(counter.labels('y')).not.toBe(child)
    expect(await counter.metric.get()).toMatchObject({ values: [] })
  })

  describe('match plain prom-client under any mix of updates, removals and resets', () => {
    type Values = (string | undefined)[]
    type Step =
      | { kind: 'inc'; values: Values; value: number | undefined }
      | { kind: 'observe'; values: Values; value: number }
      | { kind: 'remove' | 'removeOnMetric'; values: Values }
      | { kind: 'reset' | 'resetOnMetric' }

    /** The label object plain calls pass: a label without a value left out, as the callers do. */
    const labelObject = (names: readonly string[], values: Values) =>
      Object.fromEntries(
        names.flatMap((name, index) =>
          values[index] === undefined ? [] : [[name, values[index] as string]],
        ),
      )

    const oddNumber = fc.constantFrom(
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      -1,
      -0,
    )
    const value = fc.oneof(
      { weight: 6, arbitrary: fc.double({ min: 0, max: 20, noNaN: true }) },
      { weight: 2, arbitrary: fc.constantFrom(0, 0.5, 1, 2, 2.5, 10, 1e9) },
      { weight: 1, arbitrary: oddNumber },
    )

    for (const labelNames of [[], ['a'], ['a', 'b']] as const) {
      it(`labels: [${labelNames.join(', ')}]`, async () => {
        const labelValues = fc.tuple(
          ...labelNames.map(() => fc.constantFrom<string | undefined>('x', 'y', undefined)),
        ) as fc.Arbitrary<Values>
        const step: fc.Arbitrary<Step> = fc.oneof(
          {
            weight: 8,
            arbitrary: fc.record({
              kind: fc.constant('inc' as const),
              values: labelValues,
              value: fc.option(value, { nil: undefined }),
            }),
          },
          {
            weight: 8,
            arbitrary: fc.record({
              kind: fc.constant('observe' as const),
              values: labelValues,
              value,
            }),
          },
          {
            weight: 1,
            arbitrary: fc.record({
              kind: fc.constantFrom('remove' as const, 'removeOnMetric' as const),
              values: labelValues,
            }),
          },
          {
            weight: 1,
            arbitrary: fc.record({
              kind: fc.constantFrom('reset' as const, 'resetOnMetric' as const),
            }),
          },
        )
        await fc.assert(
          fc.asyncProperty(fc.array(step, { maxLength: 40 }), async (steps) => {
            const [cached, plain] = [new Registry(), new Registry()]
            const config = { help: 'h', labelNames, buckets: [0.5, 1, 2.5, 10] }
            const counter = labelledCounter({ ...config, name: 'c', registers: [cached] })
            const histogram = labelledHistogram({ ...config, name: 'h', registers: [cached] })
            const plainCounter = new Counter({ ...config, name: 'c', registers: [plain] })
            const plainHistogram = new Histogram({ ...config, name: 'h', registers: [plain] })
            const outcome = (update: () => void) => {
              try {
                update()
                return 'done'
              } catch (error) {
                return String(error)
              }
            }
            for (const s of steps) {
              const values = 'values' in s ? s.values : []
              const labels = labelObject(labelNames, values)
              const apply = (label: string, viaCache: () => void, viaPlain: () => void) =>
                expect(outcome(viaCache), `${label} ${JSON.stringify(s)}`).toBe(outcome(viaPlain))
              switch (s.kind) {
                case 'inc':
                  apply(
                    'inc',
                    () => counter.labels(...(values as [])).inc(s.value),
                    () => plainCounter.inc(labels, s.value),
                  )
                  break
                case 'observe':
                  apply(
                    'observe',
                    () => histogram.labels(...(values as [])).observe(s.value),
                    () => plainHistogram.observe(labels, s.value),
                  )
                  break
                case 'remove':
                  counter.remove(...(values as []))
                  histogram.remove(...(values as []))
                  plainCounter.remove(labels)
                  plainHistogram.remove(labels)
                  break
                case 'removeOnMetric':
                  counter.metric.remove(labels)
                  histogram.metric.remove(labels)
                  plainCounter.remove(labels)
                  plainHistogram.remove(labels)
                  break
                case 'reset':
                  counter.reset()
                  histogram.reset()
                  plainCounter.reset()
                  plainHistogram.reset()
                  break
                case 'resetOnMetric':
                  counter.metric.reset()
                  histogram.metric.reset()
                  plainCounter.reset()
                  plainHistogram.reset()
                  break
              }
            }
            expect(await cached.metrics()).toBe(await plain.metrics())
          }),
          { seed: SEED, numRuns: RUNS },
        )
      })
    }
  })
})
