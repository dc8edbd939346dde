import type { ProxyRequestRecord } from '@sfp/proxy'
import { emptyStatusCounts } from '@sfp/schemas'
import { describe, expect, it } from 'vitest'
import { createServerMetrics, type MetricSources } from '../../src/metrics/server-metrics.js'
import { parseExposition, sampleValue } from '../helpers/prometheus-text.js'

function record(overrides: Partial<ProxyRequestRecord> = {}): ProxyRequestRecord {
  return {
    time: Date.parse('2026-11-20T10:00:00Z'),
    requestId: 'req-1',
    clientKeyId: 1,
    upstreamKeyId: 1,
    method: 'POST',
    path: '/v1/chat/completions',
    model: 'Qwen/Qwen2.5-7B-Instruct',
    stream: false,
    status: 200,
    upstreamStatus: 200,
    attempts: 1,
    queueWaitMs: 0,
    ttfbMs: 400,
    durationMs: 1500,
    promptTokens: 10,
    completionTokens: 5,
    totalTokens: 15,
    errorType: null,
    errorMessage: null,
    ...overrides,
  }
}

function fakeSources() {
  const backlog = { pendingRows: 0, droppedRows: 0 }
  const sources: MetricSources = {
    dispatchStatus: () => ({
      concurrency: 1,
      inFlight: 0,
      queued: 0,
      queueMax: 100,
      oldestWaitMs: 0,
    }),
    poolStatus: () => ({
      total: 0,
      byStatus: emptyStatusCounts(),
      totalBalance: null,
      currentKeyId: null,
    }),
    requestLogBacklog: { pending: () => backlog.pendingRows, dropped: () => backlog.droppedRows },
  }
  return { sources, backlog }
}

const read = async (metrics: ReturnType<typeof createServerMetrics>) =>
  parseExposition(await metrics.registry.metrics())

describe('createServerMetrics', () => {
  it('turns proxy records into request, latency, retry and token metrics', async () => {
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

    expect(
      sampleValue(scrape, 'sfp_proxy_requests_total', { status: '200', error_type: 'none' }),
    ).toBe(2)
    expect(
      sampleValue(scrape, 'sfp_proxy_requests_total', {
        status: '401',
        error_type: 'invalid_client_key',
      }),
    ).toBe(1)
    expect(sampleValue(scrape, 'sfp_proxy_retries_total')).toBe(2)
    expect(sampleValue(scrape, 'sfp_proxy_upstream_duration_seconds_count')).toBe(2)
    expect(sampleValue(scrape, 'sfp_proxy_upstream_duration_seconds_sum')).toBe(3)
    expect(sampleValue(scrape, 'sfp_proxy_upstream_duration_seconds_bucket', { le: '1' })).toBe(0)
    expect(sampleValue(scrape, 'sfp_proxy_upstream_duration_seconds_bucket', { le: '2.5' })).toBe(2)
    expect(sampleValue(scrape, 'sfp_proxy_time_to_first_byte_seconds_bucket', { le: '0.5' })).toBe(
      2,
    )
    expect(sampleValue(scrape, 'sfp_dispatch_queue_wait_seconds_count')).toBe(2)
    const model = 'Qwen/Qwen2.5-7B-Instruct'
    const tokens = (key_id: string, type: string) =>
      sampleValue(scrape, 'sfp_proxy_tokens_total', { key_id, model, type })
    expect([tokens('1', 'prompt'), tokens('1', 'completion')]).toEqual([10, 5])
    expect([tokens('2', 'prompt'), tokens('2', 'completion')]).toEqual([7, 5])
  })

  it('counts moves between keys, not the first key taken', async () => {
    const metrics = createServerMetrics(fakeSources().sources)
    metrics.observeKeySwitch({ fromKeyId: null, toKeyId: 1 })
    metrics.observeKeySwitch({ fromKeyId: 1, toKeyId: 2 })
    expect(sampleValue(await read(metrics), 'sfp_key_switches_total')).toBe(1)
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
    first.observeKeySwitch({ fromKeyId: 1, toKeyId: 2 })
    const [one, two] = [await read(first), await read(second)]
    expect(sampleValue(one, 'sfp_key_switches_total')).toBe(1)
    expect(sampleValue(two, 'sfp_key_switches_total')).toBe(0)
    for (const scrape of [one, two]) {
      expect(scrape.types.get('sfp_process_cpu_user_seconds_total')).toBe('counter')
      expect(scrape.types.get('sfp_nodejs_eventloop_lag_seconds')).toBe('gauge')
    }
  })
})
