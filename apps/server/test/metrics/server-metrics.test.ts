import type { ProxyRequestRecord } from '@sfp/proxy'
import { describe, expect, it } from 'vitest'
import { createServerMetrics } from '../../src/metrics/server-metrics.js'
import { logRow } from '../helpers/log-rows.js'
import { fakeSources, SECRET_SHAPED_LIKE_A_MODEL } from '../helpers/metric-sources.js'
import { parseExposition, samplesOf, sampleValue } from '../helpers/prometheus-text.js'

/** A proxy record: the request log's row fixture, with the times these tests read. */
function record(overrides: Partial<ProxyRequestRecord> = {}): ProxyRequestRecord {
  const row = logRow({ requestId: 'req-1', clientKeyId: 1, ttfbMs: 400, durationMs: 1500 })
  return { ...row, ...overrides } as ProxyRequestRecord
}

async function read(metrics: ReturnType<typeof createServerMetrics>) {
  const text = await metrics.registry.metrics()
  return { ...parseExposition(text), text }
}

describe('createServerMetrics', () => {
  it('turns proxy records into request, retry and token metrics', async () => {
    const metrics = createServerMetrics(fakeSources().sources)
    metrics.observeProxyRecord(record())
    metrics.observeProxyRecord(record({ attempts: 3, upstreamKeyId: 2, promptTokens: 7 }))
    // Refused before any attempt: counted, but says nothing about upstream latency or tokens.
    metrics.observeProxyRecord(
      record({
        status: 401,
        errorType: 'invalid_client_key',
        attempts: 0,
        upstreamKeyId: null,
        queueWaitMs: null,
        ttfbMs: 1,
        durationMs: 2,
        promptTokens: null,
        completionTokens: null,
      }),
    )
    const scrape = await read(metrics)

    const proxied = (status: string, error_type: string) =>
      sampleValue(scrape, 'sfp_proxy_requests_total', {
        endpoint: 'chat/completions',
        status,
        error_type,
      })
    expect(proxied('200', 'none')).toBe(2)
    expect(proxied('401', 'invalid_client_key')).toBe(1)
    expect(sampleValue(scrape, 'sfp_proxy_retries_total', { egress_id: 'none' })).toBe(2)
    expect(sampleValue(scrape, 'sfp_dispatch_queue_wait_seconds_count')).toBe(2)
    const model = 'Qwen/Qwen2.5-7B-Instruct'
    const tokens = (key_id: string, type: string) =>
      sampleValue(scrape, 'sfp_proxy_tokens_total', { key_id, model, type })
    expect([tokens('1', 'prompt'), tokens('1', 'completion')]).toEqual([10, 5])
    expect([tokens('2', 'prompt'), tokens('2', 'completion')]).toEqual([7, 5])
  })

  it('times upstream from the slot being granted, apart from the time since arrival', async () => {
    const metrics = createServerMetrics(fakeSources().sources)
    // 3 s in the dispatch queue, then a first byte 4 ms and the last 500 ms after the slot.
    metrics.observeProxyRecord(record({ queueWaitMs: 3000, ttfbMs: 3004, durationMs: 3500 }))
    const scrape = await read(metrics)
    // Upstream figures also by egress lane (`none`: the record names none).
    const labels = (metric: string): Record<string, string> =>
      metric.includes('_upstream_')
        ? { endpoint: 'chat/completions', egress_id: 'none' }
        : { endpoint: 'chat/completions' }
    const histogram = (metric: string, le: string) =>
      sampleValue(scrape, `${metric}_bucket`, { ...labels(metric), le })
    const sum = (metric: string) => sampleValue(scrape, `${metric}_sum`, labels(metric))

    expect(sum('sfp_proxy_upstream_time_to_first_byte_seconds')).toBeCloseTo(0.004)
    expect(histogram('sfp_proxy_upstream_time_to_first_byte_seconds', '0.0025')).toBe(0)
    expect(histogram('sfp_proxy_upstream_time_to_first_byte_seconds', '0.005')).toBe(1)
    expect(sum('sfp_proxy_upstream_duration_seconds')).toBeCloseTo(0.5)
    expect(histogram('sfp_proxy_upstream_duration_seconds', '0.25')).toBe(0)
    expect(histogram('sfp_proxy_upstream_duration_seconds', '0.5')).toBe(1)

    expect(sum('sfp_proxy_request_time_to_first_byte_seconds')).toBeCloseTo(3.004)
    expect(histogram('sfp_proxy_request_time_to_first_byte_seconds', '2.5')).toBe(0)
    expect(histogram('sfp_proxy_request_time_to_first_byte_seconds', '5')).toBe(1)
    expect(sum('sfp_proxy_request_duration_seconds')).toBeCloseTo(3.5)
    expect(histogram('sfp_proxy_request_duration_seconds', '2.5')).toBe(0)
    expect(histogram('sfp_proxy_request_duration_seconds', '5')).toBe(1)
  })

  it('skips a time it cannot compute, and a refused request in every upstream histogram', async () => {
    const metrics = createServerMetrics(fakeSources().sources)
    // No first byte reached the client (it left, or the answer failed before starting).
    metrics.observeProxyRecord(record({ ttfbMs: null, queueWaitMs: 10, durationMs: 60 }))
    // No queue wait known.
    metrics.observeProxyRecord(record({ queueWaitMs: null, ttfbMs: 40, durationMs: 70 }))
    metrics.observeProxyRecord(record({ attempts: 0, queueWaitMs: 5, ttfbMs: 6, durationMs: 7 }))
    const scrape = await read(metrics)
    const count = (metric: string) =>
      sampleValue(
        scrape,
        `${metric}_count`,
        metric.includes('_upstream_')
          ? { endpoint: 'chat/completions', egress_id: 'none' }
          : { endpoint: 'chat/completions' },
      )

    expect(count('sfp_proxy_request_duration_seconds')).toBe(2)
    expect(count('sfp_proxy_request_time_to_first_byte_seconds')).toBe(1)
    expect(count('sfp_proxy_upstream_duration_seconds')).toBe(1)
    expect(
      sampleValue(scrape, 'sfp_proxy_upstream_duration_seconds_sum', {
        endpoint: 'chat/completions',
        egress_id: 'none',
      }),
    ).toBeCloseTo(0.05)
    expect(count('sfp_proxy_upstream_time_to_first_byte_seconds')).toBeUndefined()
  })

  it('labels proxied requests with a known SiliconFlow endpoint, anything else "other"', async () => {
    const metrics = createServerMetrics(fakeSources().sources)
    const paths = [
      '/v1/embeddings',
      '/v1/rerank',
      '/v1/files/file-abc123',
      '/v1/batches/batch-42/cancel',
      '/v1/models/Qwen/Qwen2.5-7B-Instruct',
      '/v1/chat/completions/extra',
      '/v1/made-up/path-9c1e',
    ]
    for (const path of paths) metrics.observeProxyRecord(record({ path }))
    const scrape = await read(metrics)

    const byEndpoint = Object.fromEntries(
      samplesOf(scrape, 'sfp_proxy_requests_total').map((s) => [s.labels.endpoint, s.value]),
    )
    expect(byEndpoint).toEqual({
      embeddings: 1,
      rerank: 1,
      files: 1,
      batches: 1,
      models: 1,
      other: 2,
    })
    for (const raw of ['abc123', 'batch-42', '9c1e', 'extra'])
      expect(scrape.text).not.toContain(raw)
  })

  it('labels tokens only with model ids, never with a secret shaped like one', async () => {
    const metrics = createServerMetrics(fakeSources().sources)
    const models = [
      'deepseek-ai/DeepSeek-V3',
      SECRET_SHAPED_LIKE_A_MODEL,
      'a-client-key-without-any-prefix-5d2b',
      'sk-abcdefghijklmnopqrstuvwx',
      'org/model with spaces',
    ]
    for (const model of models) metrics.observeProxyRecord(record({ model }))
    const scrape = await read(metrics)

    const labelled = samplesOf(scrape, 'sfp_proxy_tokens_total', { type: 'prompt' })
    expect(Object.fromEntries(labelled.map((s) => [s.labels.model, s.value]))).toEqual({
      'deepseek-ai/DeepSeek-V3': 10,
      other: 40,
    })
    for (const secret of models.slice(1)) expect(scrape.text).not.toContain(secret)
  })

  it('counts moves between keys, not the first key taken', async () => {
    const metrics = createServerMetrics(fakeSources().sources)
    metrics.observeKeySwitch({ laneId: 1, fromKeyId: null, toKeyId: 1 })
    metrics.observeKeySwitch({ laneId: 1, fromKeyId: 1, toKeyId: 2 })
    expect(sampleValue(await read(metrics), 'sfp_key_switches_total', { egress_id: '1' })).toBe(1)
  })

  it('times request log batches and counts rows written, pending and dropped', async () => {
    const { sources, backlog } = fakeSources()
    const metrics = createServerMetrics(sources)
    metrics.observeRequestLogFlush({ rows: 500, durationMs: 3 })
    metrics.observeRequestLogFlush({ rows: 20, durationMs: 0.4 })
    backlog.pendingRows = 7
    backlog.droppedRows = 40
    let scrape = await read(metrics)
    expect(sampleValue(scrape, 'sfp_request_log_rows_written_total')).toBe(520)
    expect(sampleValue(scrape, 'sfp_request_log_flush_duration_seconds_count')).toBe(2)
    expect(
      sampleValue(scrape, 'sfp_request_log_flush_duration_seconds_bucket', { le: '0.0005' }),
    ).toBe(1)
    expect(sampleValue(scrape, 'sfp_request_log_pending_rows')).toBe(7)
    expect(sampleValue(scrape, 'sfp_request_log_rows_dropped_total')).toBe(40)
    backlog.droppedRows = 45
    scrape = await read(metrics)
    expect(sampleValue(scrape, 'sfp_request_log_rows_dropped_total')).toBe(45)
  })

  it('leaves out an unknown balance and a missing key in use rather than showing zero', async () => {
    const scrape = await read(createServerMetrics(fakeSources().sources))
    expect(scrape.types.get('sfp_upstream_balance_cny')).toBe('gauge')
    expect(sampleValue(scrape, 'sfp_upstream_balance_cny')).toBeUndefined()
    expect(sampleValue(scrape, 'sfp_key_in_use_id')).toBeUndefined()
    expect(sampleValue(scrape, 'sfp_upstream_keys', { state: 'active' })).toBe(0)
  })

  it('keeps each instance in its own registry, with the process metrics in every one', async () => {
    const first = createServerMetrics(fakeSources().sources)
    const second = createServerMetrics(fakeSources().sources)
    first.observeKeySwitch({ laneId: 1, fromKeyId: 1, toKeyId: 2 })
    const [one, two] = [await read(first), await read(second)]
    expect(sampleValue(one, 'sfp_key_switches_total', { egress_id: '1' })).toBe(1)
    expect(sampleValue(two, 'sfp_key_switches_total', { egress_id: '1' })).toBeUndefined()
    for (const scrape of [one, two]) {
      expect(scrape.types.get('sfp_process_cpu_user_seconds_total')).toBe('counter')
      expect(scrape.types.get('sfp_nodejs_eventloop_lag_seconds')).toBe('gauge')
    }
  })
})
