import { request as httpRequest } from 'node:http'
import type { FastifyInstance } from 'fastify'
import { describe, expect, it, vi } from 'vitest'
import { type Scrape, scrapeMetrics } from '../helpers/metrics-scrape.js'
import { samplesOf, sampleValue } from '../helpers/prometheus-text.js'
import {
  CHAT_MODEL,
  chatBody,
  KEY_A,
  KEY_B,
  postJson,
  startProxyApp,
} from '../helpers/proxy-app.js'
import { TEST_ADMIN_PASSWORD, TEST_CLIENT_KEY } from '../helpers/test-app.js'

const CHAT = '/v1/chat/completions'
const busy = { code: 50508, message: 'System is too busy now. Please try again later.', data: null }
const WRONG_CLIENT_KEY = 'sk-not-a-client-key-9876'

/** The proxy records a request once its response has closed: wait until `count` are counted. */
async function scrapeAfterRecords(
  app: FastifyInstance,
  count: number,
  password?: string,
): Promise<Scrape> {
  return vi.waitFor(async () => {
    const scrape = await scrapeMetrics(app, password)
    const counted = samplesOf(scrape, 'sfp_proxy_requests_total').reduce((n, s) => n + s.value, 0)
    if (counted < count) throw new Error(`${counted} of ${count} proxied requests counted`)
    return scrape
  })
}

/** No upstream key, client key or password, whole or masked (`sk-ab…`), anywhere in the text. */
function expectNoSecrets(text: string): void {
  for (const secret of [KEY_A, KEY_B, TEST_CLIENT_KEY, WRONG_CLIENT_KEY, TEST_ADMIN_PASSWORD]) {
    expect(text).not.toContain(secret)
  }
  expect(text).not.toMatch(/sk-/)
}

describe('metrics of proxied requests, through the whole server', () => {
  it('counts successes, passed-through errors, retries, latency and tokens', async () => {
    const { app, url, upstream, client } = await startProxyApp()
    expect((await postJson(url, CHAT, chatBody())).status).toBe(200)
    const unknownModel = await postJson(url, CHAT, chatBody('x', { model: 'no/such-model' }))
    expect(unknownModel.status).toBe(400)
    upstream.script({
      match: { path: CHAT, key: KEY_A },
      fault: { kind: 'status', status: 503, body: busy },
    })
    expect((await postJson(url, CHAT, chatBody())).status).toBe(200)
    const stream = await client.chat.completions.create({
      ...chatBody('stream me please'),
      stream: true,
    })
    const chunks: unknown[] = []
    for await (const chunk of stream) chunks.push(chunk)
    expect(chunks.length).toBeGreaterThan(0)
    // A client key in the model field must not become a label either.
    await postJson(url, CHAT, chatBody('x', { model: TEST_CLIENT_KEY }))
    const refused = await fetch(`${url}${CHAT}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${WRONG_CLIENT_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(chatBody()),
    })
    expect(refused.status).toBe(401)

    const scrape = await scrapeAfterRecords(app, 6)
    const proxied = (status: string, error_type: string) =>
      sampleValue(scrape, 'sfp_proxy_requests_total', {
        endpoint: 'chat/completions',
        status,
        error_type,
      })
    expect(proxied('200', 'none')).toBe(3)
    expect(proxied('400', 'upstream_error')).toBe(2)
    expect(proxied('401', 'invalid_client_key')).toBe(1)
    expect(sampleValue(scrape, 'sfp_proxy_retries_total', { egress_id: '1' })).toBe(1)
    // Five went upstream (through the direct lane, egress 1); the refused one did not.
    for (const histogram of [
      'sfp_proxy_request_duration_seconds',
      'sfp_proxy_request_time_to_first_byte_seconds',
    ]) {
      expect(sampleValue(scrape, `${histogram}_count`, { endpoint: 'chat/completions' })).toBe(5)
    }
    for (const histogram of [
      'sfp_proxy_upstream_duration_seconds',
      'sfp_proxy_upstream_time_to_first_byte_seconds',
    ]) {
      const labels = { endpoint: 'chat/completions', egress_id: '1' }
      expect(sampleValue(scrape, `${histogram}_count`, labels)).toBe(5)
    }
    expect(sampleValue(scrape, 'sfp_dispatch_queue_wait_seconds_count')).toBe(5)
    // Words stand in for tokens: "hello proxy" twice, then "stream me please" (SSE usage event).
    const tokens = (type: string) =>
      sampleValue(scrape, 'sfp_proxy_tokens_total', { key_id: '1', model: CHAT_MODEL, type })
    expect([tokens('prompt'), tokens('completion')]).toEqual([2 + 2 + 3, 5 + 5 + 6])
    expect(samplesOf(scrape, 'sfp_proxy_tokens_total')).toHaveLength(2)

    const http = (status: string) =>
      sampleValue(scrape, 'sfp_http_requests_total', {
        route: '/v1/*',
        method: 'POST',
        status,
        endpoint: 'chat/completions',
      })
    expect([http('200'), http('400'), http('401')]).toEqual([3, 2, 1])
    expect(sampleValue(scrape, 'sfp_key_switches_total', { egress_id: '1' })).toBeUndefined()
    expect(sampleValue(scrape, 'sfp_key_in_use_id')).toBe(1)
    expect(sampleValue(scrape, 'sfp_upstream_keys', { state: 'active' })).toBe(2)
    expect(sampleValue(scrape, 'sfp_dispatch_in_flight')).toBe(0)

    await app.requestLog.flush()
    const flushed = await scrapeMetrics(app)
    expect(sampleValue(flushed, 'sfp_request_log_rows_written_total')).toBe(6)
    expectNoSecrets(flushed.text)
  })

  it('counts a key switch: A is rejected (401) and B takes over', async () => {
    const { app, url } = await startProxyApp(
      { KEY_SWITCH_POLICY: 'immediate' },
      { accounts: { [KEY_B]: { totalBalance: '9' } } },
    )
    expect((await postJson(url, CHAT, chatBody())).status).toBe(200)

    const scrape = await scrapeAfterRecords(app, 1)
    expect(sampleValue(scrape, 'sfp_key_switches_total', { egress_id: '1' })).toBe(1)
    expect(sampleValue(scrape, 'sfp_key_in_use_id')).toBe(2)
    const keys = (state: string) => sampleValue(scrape, 'sfp_upstream_keys', { state })
    expect([keys('active'), keys('invalid')]).toEqual([1, 1])
    expect(sampleValue(scrape, 'sfp_proxy_retries_total', { egress_id: '1' })).toBe(1)
    expect(
      sampleValue(scrape, 'sfp_proxy_tokens_total', {
        key_id: '2',
        model: CHAT_MODEL,
        type: 'prompt',
      }),
    ).toBe(2)
    expectNoSecrets(scrape.text)
  })
  it('labels proxied requests with the SiliconFlow endpoint, on both routes, never the raw path', async () => {
    const { app, url } = await startProxyApp()
    const embeddings = { model: 'BAAI/bge-m3', input: 'hello' }
    expect((await postJson(url, '/api/proxy/embeddings', embeddings)).status).toBe(200)
    expect((await postJson(url, '/v1/embeddings?trace=1', embeddings)).status).toBe(200)
    const models = await fetch(`${url}/v1/models?type=text`, {
      headers: { authorization: `Bearer ${TEST_CLIENT_KEY}` },
    })
    expect(models.status).toBe(200)
    await postJson(url, '/v1/no-such/endpoint-4b1d', {})

    const scrape = await scrapeAfterRecords(app, 4)
    const http = (route: string, method: string, endpoint: string) =>
      sampleValue(scrape, 'sfp_http_requests_total', { route, method, status: '200', endpoint })
    expect(http('/api/proxy/*', 'POST', 'embeddings')).toBe(1)
    expect(http('/v1/*', 'POST', 'embeddings')).toBe(1)
    expect(http('/v1/*', 'GET', 'models')).toBe(1)
    const endpoints = new Set(
      samplesOf(scrape, 'sfp_proxy_requests_total').map((sample) => sample.labels.endpoint),
    )
    expect(endpoints).toEqual(new Set(['embeddings', 'models', 'other']))
    expect(
      samplesOf(scrape, 'sfp_http_requests_total', { route: '/v1/*', endpoint: 'other' }),
    ).toHaveLength(1)
    // Other routes carry no endpoint label at all.
    expect(
      samplesOf(scrape, 'sfp_http_requests_total', { route: '/metrics' }).every(
        (sample) => sample.labels.endpoint === undefined,
      ),
    ).toBe(true)
    expect(scrape.text).not.toContain('4b1d')
    expect(scrape.text).not.toContain('trace')
  })

  it('counts a request once, with the endpoint the proxy mapped its path to', async () => {
    const { app, url } = await startProxyApp()
    // Sent as is (fetch would normalize it): the proxy forwards it to /v1/embeddings.
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const sent = httpRequest(
        `${url}/v1/audio/../embeddings`,
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${TEST_CLIENT_KEY}`,
            'content-type': 'application/json',
          },
        },
        (response) => {
          response.resume()
          response.on('end', () => resolve(response.statusCode))
        },
      )
      sent.on('error', reject)
      sent.end(JSON.stringify({ model: 'BAAI/bge-m3', input: 'hello' }))
    })
    expect(status).toBe(200)

    const scrape = await scrapeAfterRecords(app, 1)
    expect(samplesOf(scrape, 'sfp_http_requests_total', { route: '/v1/*' })).toEqual([
      expect.objectContaining({
        labels: { route: '/v1/*', method: 'POST', status: '200', endpoint: 'embeddings' },
        value: 1,
      }),
    ])
    expect(samplesOf(scrape, 'sfp_proxy_requests_total')).toEqual([
      expect.objectContaining({ labels: expect.objectContaining({ endpoint: 'embeddings' }) }),
    ])
  })

  it('leaves the dispatch queue out of the upstream times, and in the request times', async () => {
    const { app, url, upstream } = await startProxyApp({ DISPATCH_CONCURRENCY: '1' })
    const UPSTREAM_DELAY_MS = 300
    upstream.script({ match: { path: CHAT }, fault: { kind: 'delay', ms: UPSTREAM_DELAY_MS } })
    const first = postJson(url, CHAT, chatBody())
    await vi.waitFor(() => expect(upstream.requests).toHaveLength(1))
    // The first holds the only slot until its delayed answer is done: this one queues meanwhile.
    const second = postJson(url, CHAT, chatBody())
    expect([(await first).status, (await second).status]).toEqual([200, 200])

    const scrape = await scrapeAfterRecords(app, 2)
    const sum = (histogram: string) =>
      sampleValue(
        scrape,
        `${histogram}_sum`,
        histogram.includes('_upstream_')
          ? { endpoint: 'chat/completions', egress_id: '1' }
          : { endpoint: 'chat/completions' },
      ) ?? Number.NaN
    const queued = sampleValue(scrape, 'sfp_dispatch_queue_wait_seconds_sum') ?? Number.NaN
    expect(queued).toBeGreaterThan((UPSTREAM_DELAY_MS / 1000) * 0.5)
    // Per request: time since arrival = queue wait + time since the slot was granted.
    const request = sum('sfp_proxy_request_time_to_first_byte_seconds')
    const upstreamSide = sum('sfp_proxy_upstream_time_to_first_byte_seconds')
    expect(request - upstreamSide).toBeCloseTo(queued, 6)
    const requestTotal = sum('sfp_proxy_request_duration_seconds')
    const upstreamTotal = sum('sfp_proxy_upstream_duration_seconds')
    expect(requestTotal - upstreamTotal).toBeCloseTo(queued, 6)
  })

  it('never turns a client key, an upstream key or a set secret sent as the model into a label', async () => {
    const modelShapedClientKey = 'team/proxy-client-key-77aa0c'
    const modelShapedUpstreamKey = 'team/upstream-key-for-the-pool-31c9'
    const modelShapedPassword = 'admin/password-for-the-dashboard-5d1e'
    const { app, url, upstream } = await startProxyApp(
      {
        PROXY_API_KEYS: `${TEST_CLIENT_KEY},${modelShapedClientKey}`,
        ADMIN_PASSWORD: modelShapedPassword,
      },
      { keys: [KEY_A, modelShapedUpstreamKey] },
    )
    // An upstream that answers whatever the model: the label must not rely on it refusing.
    const answer = {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
    }
    upstream.script({
      match: { path: CHAT },
      fault: { kind: 'status', status: 200, body: answer },
      times: 4,
    })
    const models = [modelShapedClientKey, modelShapedUpstreamKey, modelShapedPassword, CHAT_MODEL]
    for (const model of models) {
      expect((await postJson(url, CHAT, chatBody('x', { model }))).status).toBe(200)
    }

    const scrape = await scrapeAfterRecords(app, 4, modelShapedPassword)
    const prompt = samplesOf(scrape, 'sfp_proxy_tokens_total', { type: 'prompt' })
    expect(Object.fromEntries(prompt.map((sample) => [sample.labels.model, sample.value]))).toEqual(
      {
        other: 9,
        [CHAT_MODEL]: 3,
      },
    )
    expect(scrape.text).not.toContain('proxy-client-key')
    expect(scrape.text).not.toContain('upstream-key-for')
    expect(scrape.text).not.toContain('password-for-the-dashboard')
  })
})
