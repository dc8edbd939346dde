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
async function scrapeAfterRecords(app: FastifyInstance, count: number): Promise<Scrape> {
  return vi.waitFor(async () => {
    const scrape = await scrapeMetrics(app)
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
      sampleValue(scrape, 'sfp_proxy_requests_total', { status, error_type })
    expect(proxied('200', 'none')).toBe(3)
    expect(proxied('400', 'upstream_error')).toBe(2)
    expect(proxied('401', 'invalid_client_key')).toBe(1)
    expect(sampleValue(scrape, 'sfp_proxy_retries_total')).toBe(1)
    // Five went upstream; the refused one did not.
    expect(sampleValue(scrape, 'sfp_proxy_upstream_duration_seconds_count')).toBe(5)
    expect(sampleValue(scrape, 'sfp_proxy_time_to_first_byte_seconds_count')).toBe(5)
    expect(sampleValue(scrape, 'sfp_dispatch_queue_wait_seconds_count')).toBe(5)
    // Words stand in for tokens: "hello proxy" twice, then "stream me please" (SSE usage event).
    const tokens = (type: string) =>
      sampleValue(scrape, 'sfp_proxy_tokens_total', { key_id: '1', model: CHAT_MODEL, type })
    expect([tokens('prompt'), tokens('completion')]).toEqual([2 + 2 + 3, 5 + 5 + 6])
    expect(samplesOf(scrape, 'sfp_proxy_tokens_total')).toHaveLength(2)

    const http = (status: string) =>
      sampleValue(scrape, 'sfp_http_requests_total', { route: '/v1/*', method: 'POST', status })
    expect([http('200'), http('400'), http('401')]).toEqual([3, 2, 1])
    expect(sampleValue(scrape, 'sfp_key_switches_total')).toBe(0)
    expect(sampleValue(scrape, 'sfp_key_in_use_id')).toBe(1)
    expect(sampleValue(scrape, 'sfp_upstream_keys', { state: 'active' })).toBe(2)
    expect(sampleValue(scrape, 'sfp_dispatch_in_flight')).toBe(0)

    app.requestLog.flush()
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
    expect(sampleValue(scrape, 'sfp_key_switches_total')).toBe(1)
    expect(sampleValue(scrape, 'sfp_key_in_use_id')).toBe(2)
    const keys = (state: string) => sampleValue(scrape, 'sfp_upstream_keys', { state })
    expect([keys('active'), keys('invalid')]).toEqual([1, 1])
    expect(sampleValue(scrape, 'sfp_proxy_retries_total')).toBe(1)
    expect(
      sampleValue(scrape, 'sfp_proxy_tokens_total', {
        key_id: '2',
        model: CHAT_MODEL,
        type: 'prompt',
      }),
    ).toBe(2)
    expectNoSecrets(scrape.text)
  })
})
