import type { Fault } from '@sfp/test-support/upstream'
import { request } from 'undici'
import { describe, expect, it } from 'vitest'
import { KEYS, KeySwitchGuard, withRetryAfter } from '../helpers/fakes.js'
import {
  CHAT,
  clientHeaders,
  type ProxyTestApp,
  startProxyApp,
  until,
} from '../helpers/proxy-app.js'

const BUSY = { code: 50508, message: 'System is too busy now. Please try again later.', data: null }
const REALLY_BUSY = {
  code: 50603,
  message: 'System is really busy. Please try again later.',
  data: null,
}
const RATE_LIMITED = { message: 'Request was rejected due to rate limiting.', data: null }

async function chat(proxy: ProxyTestApp, body: object = CHAT) {
  const response = await request(`${proxy.url}/v1/chat/completions`, {
    method: 'POST',
    headers: clientHeaders({ 'content-type': 'application/json' }),
    body: JSON.stringify(body),
  })
  return {
    status: response.statusCode,
    headers: response.headers,
    text: await response.body.text(),
  }
}

const status = (code: number, body: unknown, headers?: Record<string, string>): Fault => ({
  kind: 'status',
  status: code,
  body,
  ...(headers ? { headers } : {}),
})

const keysSent = (proxy: ProxyTestApp) => proxy.upstream.requests.map((r) => r.key)

describe('failover: what each upstream answer leads to', () => {
  it.each([
    ['401 (key rejected)', status(401, { message: 'Invalid token', data: null }), 'unauthorized'],
    ['429 (rate limited)', status(429, RATE_LIMITED), 'rateLimited'],
  ])('%s: the pool says move on, the next key answers', async (_name, fault, kind) => {
    const proxy = await startProxyApp()
    proxy.upstream.script({ fault })
    const answer = await chat(proxy)
    expect(answer.status).toBe(200)
    expect(keysSent(proxy)).toEqual([KEYS[0].secret, KEYS[1].secret])
    expect(proxy.dispatch.kinds()).toEqual([kind, 'success'])
    expect(proxy.dispatch.begun).toEqual([1, 2])
    // One lease for the whole request: the key moves inside it, on its lane.
    expect(proxy.dispatch.leases).toHaveLength(1)
    expect(proxy.dispatch.calls.filter((c) => c.call === 'switchKey')).toEqual([
      { call: 'switchKey', laneId: 1, from: 1, to: 2 },
    ])
    const [record] = await proxy.waitForRecords(1)
    expect(record).toMatchObject({
      status: 200,
      attempts: 2,
      upstreamKeyId: 2,
      upstreamStatus: 200,
      egressId: 1,
    })
    await until(() => proxy.dispatch.releases === 1)
    expect(proxy.dispatch.inFlight).toBe(0)
  })

  it('429 reports Retry-After to the pool (seconds or HTTP date)', async () => {
    const proxy = await startProxyApp()
    const inAMinute = new Date(Date.now() + 60_000).toUTCString()
    proxy.upstream.script(
      { fault: status(429, RATE_LIMITED, { 'retry-after': '30' }) },
      { fault: status(429, RATE_LIMITED, { 'retry-after': inAMinute }) },
    )
    await chat(proxy)
    const [first, second] = proxy.dispatch.reports.map(({ outcome }) => outcome)
    expect(first).toEqual({
      kind: 'rateLimited',
      retryAfterMs: 30_000,
      message: RATE_LIMITED.message,
    })
    expect(second?.kind === 'rateLimited' && second.retryAfterMs).toBeGreaterThan(55_000)
  })

  it('403 with the key kept: passed through, key untouched, no other key tried', async () => {
    const proxy = await startProxyApp()
    const forbidden = { code: 30011, message: 'Insufficient permissions', data: null }
    proxy.upstream.script({ fault: status(403, forbidden) })
    const answer = await chat(proxy)
    expect(answer.status).toBe(403)
    expect(JSON.parse(answer.text)).toEqual(forbidden)
    expect(proxy.dispatch.reports).toEqual([
      { keyId: 1, outcome: { kind: 'forbidden', status: 403, model: CHAT.model } },
    ])
    const [record] = await proxy.waitForRecords(1)
    expect(record).toMatchObject({
      errorType: 'upstream_error',
      errorMessage: 'Insufficient permissions',
      errorParams: { status: 403, detail: 'Insufficient permissions' },
    })
  })

  it('402 with an insufficient balance (pool moves on): the next key answers', async () => {
    const proxy = await startProxyApp()
    proxy.dispatch.verdict = (_id, outcome) =>
      outcome.kind === 'forbidden'
        ? { status: 'insufficient', moveOn: true }
        : { status: 'active', moveOn: false }
    proxy.upstream.script({ fault: status(402, { message: 'balance', data: null }) })
    expect((await chat(proxy)).status).toBe(200)
    expect(proxy.dispatch.kinds()).toEqual(['forbidden', 'success'])
  })

  it.each([
    ['503 busy 50508', BUSY],
    // 50603 is a block code only on lanes that say so (lanes.test.ts); here it is plain busy.
    ['503 busy 50603', REALLY_BUSY],
  ])('%s: retried on the same key with backoff, then served', async (_name, body) => {
    const proxy = await startProxyApp()
    proxy.upstream.script({ fault: status(503, body), times: 2 })
    const answer = await chat(proxy)
    expect(answer.status).toBe(200)
    expect(keysSent(proxy)).toEqual([KEYS[0].secret, KEYS[0].secret, KEYS[0].secret])
    expect(proxy.dispatch.reports.map(({ outcome }) => outcome)).toEqual([
      { kind: 'upstreamError', status: 503, message: body.message },
      { kind: 'upstreamError', status: 503, message: body.message },
      { kind: 'success' },
    ])
    // 250 ms × 2ⁿ, ±20 % jitter
    expect(proxy.sleeps).toHaveLength(2)
    expect(proxy.sleeps[0]).toBeGreaterThanOrEqual(200)
    expect(proxy.sleeps[0]).toBeLessThanOrEqual(300)
    expect(proxy.sleeps[1]).toBeGreaterThanOrEqual(400)
    expect(proxy.sleeps[1]).toBeLessThanOrEqual(600)
  })

  it('500 every time: UPSTREAM_RETRIES retries, then the upstream error passed through', async () => {
    const proxy = await startProxyApp()
    const unknown = { code: 50000, message: 'Unknown error', data: null }
    proxy.upstream.script({ fault: status(500, unknown), times: Number.POSITIVE_INFINITY })
    const answer = await chat(proxy)
    expect(answer.status).toBe(500)
    expect(JSON.parse(answer.text)).toEqual(unknown)
    expect(proxy.upstream.requests).toHaveLength(3)
    const [record] = await proxy.waitForRecords(1)
    expect(record).toMatchObject({ status: 500, upstreamStatus: 500, attempts: 3 })
  })

  it.each([0, 1, 3])('honours UPSTREAM_RETRIES=%i', async (retries) => {
    const proxy = await startProxyApp({ settings: { upstreamRetries: retries } })
    proxy.upstream.script({ fault: status(503, BUSY), times: Number.POSITIVE_INFINITY })
    expect((await chat(proxy)).status).toBe(503)
    expect(proxy.upstream.requests).toHaveLength(retries + 1)
    expect(proxy.sleeps).toHaveLength(retries)
  })

  it('waits the Retry-After of a 503 before retrying', async () => {
    const proxy = await startProxyApp()
    proxy.upstream.script({ fault: status(503, BUSY, { 'retry-after': '2' }) })
    expect((await chat(proxy)).status).toBe(200)
    expect(proxy.sleeps).toEqual([2000])
  })

  it('a Retry-After longer than the cap ends the retries: the 503 is passed through', async () => {
    const proxy = await startProxyApp({ retry: { maxRetryAfterMs: 5000 } })
    proxy.upstream.script({ fault: status(503, BUSY, { 'retry-after': '60' }) })
    const answer = await chat(proxy)
    expect(answer.status).toBe(503)
    expect(answer.headers['retry-after']).toBe('60')
    expect(proxy.upstream.requests).toHaveLength(1)
  })

  it('connection reset before headers, once: retried, then served', async () => {
    const proxy = await startProxyApp()
    proxy.upstream.script({ fault: { kind: 'reset-before-headers' } })
    expect((await chat(proxy)).status).toBe(200)
    const [first] = proxy.dispatch.reports
    expect(first?.outcome.kind).toBe('networkError')
  })

  it('connection reset before headers, always: 502 upstream_unreachable after the retries', async () => {
    const proxy = await startProxyApp()
    proxy.upstream.script({
      fault: { kind: 'reset-before-headers' },
      times: Number.POSITIVE_INFINITY,
    })
    const answer = await chat(proxy)
    expect(answer.status).toBe(502)
    expect(JSON.parse(answer.text).error).toMatchObject({
      code: 'upstream_unreachable',
      type: 'server_error',
    })
    expect(proxy.upstream.requests).toHaveLength(3)
    const [record] = await proxy.waitForRecords(1)
    expect(record).toMatchObject({
      status: 502,
      upstreamStatus: null,
      errorType: 'upstream_unreachable',
      errorParams: { cause: 'connection_reset', code: 'ECONNRESET' },
    })
  })

  it('upstream hang: 504 upstream_timeout after the headers timeout, not retried', async () => {
    const proxy = await startProxyApp({ settings: { upstreamHeadersTimeoutMs: 150 } })
    proxy.upstream.script({ fault: { kind: 'hang' }, times: Number.POSITIVE_INFINITY })
    const answer = await chat(proxy)
    expect(answer.status).toBe(504)
    expect(JSON.parse(answer.text).error.code).toBe('upstream_timeout')
    expect(proxy.dispatch.reports.map(({ outcome }) => outcome)).toEqual([
      { kind: 'networkError', code: 'UND_ERR_HEADERS_TIMEOUT' },
    ])
  })

  it('400 from upstream: passed through as is, clientError reported, not retried', async () => {
    const proxy = await startProxyApp()
    const answer = await chat(proxy, { ...CHAT, model: 'no/such-model' })
    expect(answer.status).toBe(400)
    expect(JSON.parse(answer.text)).toEqual({
      code: 20012,
      message: 'Model does not exist. Please check it carefully.',
      data: null,
    })
    expect(proxy.dispatch.reports).toEqual([
      { keyId: 1, outcome: { kind: 'clientError', status: 400 } },
    ])
  })

  it('move on refused by the switch guard: the upstream error is passed through', async () => {
    const proxy = await startProxyApp()
    proxy.dispatch.switchRefusal = withRetryAfter(new KeySwitchGuard('wait'), 600)
    proxy.upstream.script({ fault: status(429, RATE_LIMITED, { 'retry-after': '20' }) })
    const answer = await chat(proxy)
    expect(answer.status).toBe(429)
    expect(answer.headers['retry-after']).toBe('20')
    expect(JSON.parse(answer.text)).toEqual(RATE_LIMITED)
    expect(proxy.upstream.requests).toHaveLength(1)
  })

  it('no key left to move to after invalid keys: 503 no_available_key, not the upstream 401', async () => {
    const proxy = await startProxyApp()
    const invalid = { message: 'Invalid token', data: null }
    proxy.upstream.script({ fault: status(401, invalid), times: Number.POSITIVE_INFINITY })
    const answer = await chat(proxy)
    // The upstream's 401 would tell an SDK that the client's own key is wrong.
    expect(answer.status).toBe(503)
    expect(JSON.parse(answer.text)).toMatchObject({ error: { code: 'no_available_key' } })
    expect(keysSent(proxy)).toEqual(KEYS.map((key) => key.secret))
  })

  it('a move away from an invalid key refused by the switch guard: its 503 and Retry-After', async () => {
    const proxy = await startProxyApp()
    proxy.dispatch.switchRefusal = withRetryAfter(new KeySwitchGuard('held back'), 1200)
    proxy.upstream.script({ fault: status(401, { message: 'Invalid token', data: null }) })
    const answer = await chat(proxy)
    expect(answer.status).toBe(503)
    expect(answer.headers['retry-after']).toBe('1200')
    expect(JSON.parse(answer.text)).toMatchObject({
      error: { code: 'key_switch_guard', message: 'held back' },
    })
    expect(keysSent(proxy)).toEqual([KEYS[0]?.secret])
  })

  it('a refused move after a 5xx the key could not shake off: the upstream error passes', async () => {
    const proxy = await startProxyApp({ settings: { upstreamRetries: 0 } })
    proxy.dispatch.verdict = () => ({ status: 'error', moveOn: true })
    proxy.dispatch.switchRefusal = withRetryAfter(new KeySwitchGuard('held back'), 1200)
    proxy.upstream.script({ fault: status(500, { message: 'boom', data: null }) })
    const answer = await chat(proxy)
    expect(answer.status).toBe(500)
    expect(JSON.parse(answer.text)).toEqual({ message: 'boom', data: null })
  })

  it('bounds the attempts of one request: (retries + 1) × maxKeys', async () => {
    const proxy = await startProxyApp({ settings: { upstreamRetries: 1 }, retry: { maxKeys: 2 } })
    // Move on after every network error: the pool keeps finding a new key.
    proxy.dispatch.verdict = () => ({ status: 'error', moveOn: true })
    proxy.upstream.script({
      fault: { kind: 'reset-before-headers' },
      times: Number.POSITIVE_INFINITY,
    })
    expect((await chat(proxy)).status).toBe(502)
    expect(proxy.upstream.requests.length).toBeLessThanOrEqual(4)
  })
})

describe('failures after the answer started', () => {
  it('SSE reset mid-stream: the events so far, then a final error event', async () => {
    const proxy = await startProxyApp()
    proxy.upstream.script({ fault: { kind: 'reset-mid-stream', afterEvents: 2 } })
    const answer = await chat(proxy, { ...CHAT, stream: true })
    expect(answer.status).toBe(200)
    const events = answer.text.split('\n\n').filter(Boolean)
    expect(events).toHaveLength(3)
    expect(JSON.parse(events[2]?.slice('data: '.length) ?? '')).toEqual({
      error: {
        message: expect.stringContaining('The upstream answer broke off'),
        type: 'server_error',
        code: 'upstream_stream_error',
      },
    })
    expect(proxy.dispatch.reports.map(({ outcome }) => outcome.kind)).toEqual(['networkError'])
    expect(proxy.upstream.requests).toHaveLength(1)
    const [record] = await proxy.waitForRecords(1)
    expect(record).toMatchObject({ status: 200, errorType: 'upstream_stream_error' })
  })

  it('SSE that goes silent: ended by the body idle timeout with a final error event', async () => {
    const proxy = await startProxyApp({ settings: { upstreamBodyIdleTimeoutMs: 100 } })
    proxy.upstream.script({ fault: { kind: 'stall-body' } })
    const answer = await chat(proxy, { ...CHAT, stream: true })
    const events = answer.text.split('\n\n').filter(Boolean)
    expect(events).toHaveLength(2)
    expect(events[1]).toContain('went silent')
    expect(proxy.dispatch.reports.map(({ outcome }) => outcome)).toEqual([
      { kind: 'networkError', code: 'UND_ERR_BODY_TIMEOUT' },
    ])
  })

  it('JSON broken off before its first byte: 502 upstream_stream_error', async () => {
    const proxy = await startProxyApp()
    proxy.upstream.script({ fault: { kind: 'reset-mid-stream', afterEvents: 0 } })
    const answer = await chat(proxy)
    expect(answer.status).toBe(502)
    expect(JSON.parse(answer.text).error.code).toBe('upstream_stream_error')
    const [record] = await proxy.waitForRecords(1)
    expect(record).toMatchObject({
      status: 502,
      upstreamStatus: 200,
      errorType: 'upstream_stream_error',
      errorParams: { cause: expect.any(String), code: expect.any(String) },
    })
    expect(proxy.dispatch.inFlight).toBe(0)
  })

  it('a 204 answer is delivered and counts as a success', async () => {
    const proxy = await startProxyApp()
    proxy.upstream.script({ fault: { kind: 'status', status: 204 } })
    const response = await request(`${proxy.url}/v1/files/file-1`, {
      method: 'DELETE',
      headers: clientHeaders(),
    })
    expect(response.statusCode).toBe(204)
    await response.body.dump()
    await until(() => proxy.dispatch.reports.length === 1)
    expect(proxy.dispatch.kinds()).toEqual(['success'])
  })

  it('JSON reset mid-body: the client gets a cut answer, nothing retried', async () => {
    const proxy = await startProxyApp()
    proxy.upstream.script({ fault: { kind: 'reset-mid-stream' } })
    const response = await request(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: clientHeaders({ 'content-type': 'application/json' }),
      body: JSON.stringify(CHAT),
    })
    expect(response.statusCode).toBe(200)
    await expect(response.body.text()).rejects.toThrow()
    expect(proxy.upstream.requests).toHaveLength(1)
    const [record] = await proxy.waitForRecords(1)
    expect(record).toMatchObject({ status: 200, errorType: 'upstream_stream_error' })
    expect(proxy.dispatch.kinds()).toEqual(['networkError'])
    expect(proxy.dispatch.inFlight).toBe(0)
  })
})
