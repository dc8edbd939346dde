import { describe, expect, it } from 'vitest'
import { logRow } from '../helpers/log-rows.js'
import { scrapeMetrics } from '../helpers/metrics-scrape.js'
import { samplesOf, sampleValue } from '../helpers/prometheus-text.js'
import { basicAuth, buildTestApp } from '../helpers/test-app.js'

const KEY_ONE = `sk-metrics-one-${'1'.repeat(30)}`
const KEY_TWO = `sk-metrics-two-${'2'.repeat(30)}`

describe('GET /metrics', () => {
  it('needs the admin login and answers Prometheus text', async () => {
    const { app } = await buildTestApp()
    const anonymous = await app.inject({ method: 'GET', url: '/metrics' })
    expect(anonymous.statusCode).toBe(401)
    expect(anonymous.body).not.toContain('sfp_')
    const wrong = await app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: basicAuth('not-the-password') },
    })
    expect(wrong.statusCode).toBe(401)

    const response = await app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: basicAuth() },
    })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8')
    const scrape = await scrapeMetrics(app)
    expect(scrape.types.get('sfp_http_requests_total')).toBe('counter')
    for (const histogram of [
      'sfp_proxy_request_duration_seconds',
      'sfp_proxy_request_time_to_first_byte_seconds',
      'sfp_proxy_upstream_duration_seconds',
      'sfp_proxy_upstream_time_to_first_byte_seconds',
    ]) {
      expect(scrape.types.get(histogram)).toBe('histogram')
    }
    expect(scrape.helps.get('sfp_dispatch_queued')).toBe(
      'Upstream calls waiting for a dispatch slot now.',
    )
    expect(scrape.types.get('sfp_process_resident_memory_bytes')).toBe('gauge')
    const metricsRequests = (status: string) =>
      sampleValue(scrape, 'sfp_http_requests_total', { route: '/metrics', method: 'GET', status })
    expect([metricsRequests('401'), metricsRequests('200')]).toEqual([2, 1])
  })

  it('labels HTTP requests with the route pattern, never the raw URL', async () => {
    const { app } = await buildTestApp()
    const admin = { authorization: basicAuth() }
    await app.inject({
      method: 'PATCH',
      url: '/api/manage/api-keys/4242',
      headers: admin,
      payload: {},
    })
    await app.inject({ method: 'GET', url: '/no/such/page-7f3a?token=abc', headers: admin })
    const scrape = await scrapeMetrics(app)
    const routes = samplesOf(scrape, 'sfp_http_requests_total').map((sample) => sample.labels.route)
    expect(routes).toContain('/api/manage/api-keys/:id')
    expect(routes).toContain('unmatched')
    // Digits: a sample's value may hold them by chance, so the values are left out of the scan.
    expect(scrape.textWithoutValues).toContain('sfp_http_requests_total{')
    expect(scrape.textWithoutValues).not.toContain('4242')
    expect(scrape.textWithoutValues).not.toContain('7f3a')
  })

  it('reads dispatch and key pool gauges at scrape time', async () => {
    const { app } = await buildTestApp()
    const [one] = (await app.keyPool.add({ api_keys: `${KEY_ONE}\n${KEY_TWO}` })).added
    app.keyPool.update(one?.id ?? 0, { enabled: false })
    const held = await app.dispatch.lease()
    const waiting = app.dispatch.lease()

    let scrape = await scrapeMetrics(app)
    expect(sampleValue(scrape, 'sfp_dispatch_in_flight')).toBe(1)
    expect(sampleValue(scrape, 'sfp_dispatch_queued')).toBe(1)
    const keys = (state: string) => sampleValue(scrape, 'sfp_upstream_keys', { state })
    expect(['active', 'disabled', 'invalid'].map(keys)).toEqual([1, 1, 0])
    expect(sampleValue(scrape, 'sfp_upstream_balance_cny')).toBeUndefined()
    // The lease took the usable key (the other is disabled): that lane's key is the one in use.
    expect(sampleValue(scrape, 'sfp_key_in_use_id')).toBe(2)
    expect(sampleValue(scrape, 'sfp_egress_in_flight', { egress_id: '1' })).toBe(1)
    expect(sampleValue(scrape, 'sfp_egress_state', { egress_id: '1', state: 'up' })).toBe(1)
    expect(sampleValue(scrape, 'sfp_egress_state', { egress_id: '1', state: 'down' })).toBe(0)

    held.release()
    ;(await waiting).release()
    scrape = await scrapeMetrics(app)
    expect(sampleValue(scrape, 'sfp_dispatch_in_flight')).toBe(0)
    expect(sampleValue(scrape, 'sfp_dispatch_queued')).toBe(0)
  })

  it('times request log batches and counts the rows written', async () => {
    const { app } = await buildTestApp()
    for (let i = 0; i < 3; i++) app.requestLog.record(logRow())
    await app.requestLog.flush()
    const scrape = await scrapeMetrics(app)
    expect(sampleValue(scrape, 'sfp_request_log_rows_written_total')).toBe(3)
    expect(sampleValue(scrape, 'sfp_request_log_flush_duration_seconds_count')).toBe(1)
    expect(sampleValue(scrape, 'sfp_request_log_pending_rows')).toBe(0)
    expect(sampleValue(scrape, 'sfp_request_log_rows_dropped_total')).toBe(0)
  })

  it('keeps two app instances in one process apart', async () => {
    const first = await buildTestApp()
    const second = await buildTestApp()
    await first.app.keyPool.add({ api_key: KEY_ONE })
    for (let i = 0; i < 2; i++) await first.app.inject({ method: 'GET', url: '/healthz' })
    const [one, two] = [await scrapeMetrics(first.app), await scrapeMetrics(second.app)]
    const health = { route: '/healthz', method: 'GET', status: '200' }
    expect(sampleValue(one, 'sfp_http_requests_total', health)).toBe(2)
    expect(sampleValue(two, 'sfp_http_requests_total', health)).toBeUndefined()
    expect(sampleValue(one, 'sfp_upstream_keys', { state: 'active' })).toBe(1)
    expect(sampleValue(two, 'sfp_upstream_keys', { state: 'active' })).toBe(0)
  })
})
