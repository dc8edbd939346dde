import { once } from 'node:events'
import { type ClientRequest, type IncomingMessage, request } from 'node:http'
import type { StatusView } from '@sfp/schemas'
import { describe, expect, it } from 'vitest'
import {
  chatBody,
  KEY_A,
  KEY_B,
  type ProxyTestApp,
  postJson,
  startProxyApp,
} from '../helpers/proxy-app.js'
import { basicAuth, TEST_CLIENT_KEY } from '../helpers/test-app.js'

const CHAT = '/v1/chat/completions'

/** The bound for the upstream request to end after the client left. */
const UPSTREAM_CLOSE_BOUND_MS = 100

/** A chat request over its own connection, which the test can drop at any moment. */
function openChat(
  url: string,
  body: object,
): { req: ClientRequest; response: Promise<IncomingMessage> } {
  const req = request(`${url}${CHAT}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_CLIENT_KEY}`, 'content-type': 'application/json' },
  })
  req.on('error', () => {}) // the test leaves on purpose
  const response = once(req, 'response').then(([res]) => res as IncomingMessage)
  response.catch(() => {})
  req.end(JSON.stringify(body))
  return { req, response }
}

async function until(check: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

const slots = (app: ProxyTestApp['app']) => app.dispatch.status().dispatch

describe('serialized dispatch through the whole server (default settings)', () => {
  it('never lets two upstream calls overlap and uses one key, whatever the clients do', async () => {
    const { url, upstream } = await startProxyApp()
    upstream.script({ match: { path: CHAT }, fault: { kind: 'delay', ms: 20 }, times: Infinity })
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        postJson(url, CHAT, chatBody(`client ${i}`, { stream: i % 2 === 0 })).then(async (r) => {
          await r.text()
          return r.status
        }),
      ),
    )
    expect(answers).toEqual(Array(12).fill(200))
    const calls = [...upstream.requests].sort((a, b) => a.receivedAt - b.receivedAt)
    for (let i = 1; i < calls.length; i++) {
      const previous = calls[i - 1]
      expect(previous?.finishedAt, `call ${i - 1} finished`).toBeDefined()
      expect(calls[i]?.receivedAt).toBeGreaterThanOrEqual(
        previous?.finishedAt ?? Number.POSITIVE_INFINITY,
      )
    }
    expect(new Set(calls.map((c) => c.key))).toEqual(new Set([KEY_A]))
  })

  it('answers 503 queue_full with Retry-After beyond DISPATCH_QUEUE_MAX', async () => {
    const { url, upstream } = await startProxyApp({ DISPATCH_QUEUE_MAX: '1' })
    upstream.script({ match: { path: CHAT }, fault: { kind: 'delay', ms: 300 }, times: Infinity })
    const inFlight = postJson(url, CHAT, chatBody('first'))
    await upstream.waitForRequest(0)
    const queued = postJson(url, CHAT, chatBody('second'))
    await new Promise((resolve) => setTimeout(resolve, 50))
    const refused = await postJson(url, CHAT, chatBody('third'))
    expect(refused.status).toBe(503)
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(await refused.json()).toMatchObject({ error: { code: 'queue_full' } })
    expect((await inFlight).status).toBe(200)
    expect((await queued).status).toBe(200)
  })

  it('frees the slot when a client leaves mid-stream: upstream is aborted and the next request runs', async () => {
    const { app, url, upstream } = await startProxyApp()
    upstream.script({ match: { path: CHAT }, fault: { kind: 'slow-drip', intervalMs: 200 } })
    const req = request(`${url}${CHAT}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_CLIENT_KEY}`, 'content-type': 'application/json' },
    })
    req.on('error', () => {})
    req.end(JSON.stringify(chatBody('leaving', { stream: true })))
    await new Promise<void>((resolve) =>
      req.once('response', (res) => res.once('data', () => resolve())),
    )
    req.destroy()
    const ended = await upstream.waitForEnd(0)
    expect(ended.abortedAt).toBeDefined()

    const next = await postJson(url, CHAT, chatBody('next'))
    expect(next.status).toBe(200)
    const status = await app.inject({
      method: 'GET',
      url: '/api/manage/status',
      headers: { authorization: basicAuth() },
    })
    expect((status.json() as StatusView).dispatch).toMatchObject({ inFlight: 0, queued: 0 })
    // The disconnect did not count against the key.
    expect(app.keyPool.view(1)).toMatchObject({ status: 'active', errorCount: 0 })
  })

  it('answers 503 queue_timeout to a request that waited DISPATCH_QUEUE_TIMEOUT_MS', async () => {
    const { app, url, upstream } = await startProxyApp({ DISPATCH_QUEUE_TIMEOUT_MS: '200' })
    upstream.script({ match: { path: CHAT }, fault: { kind: 'slow-drip', intervalMs: 100 } })
    const holder = postJson(url, CHAT, chatBody('holder', { stream: true }))
    await upstream.waitForRequest(0)
    const waiter = await postJson(url, CHAT, chatBody('waiter'))
    expect(waiter.status).toBe(503)
    expect(await waiter.json()).toMatchObject({ error: { code: 'queue_timeout' } })
    expect((await holder).status).toBe(200)
    expect(upstream.requests).toHaveLength(1)
    await until(() => slots(app).inFlight === 0, 'the slot to be free')
  })

  it.each([
    ['queued behind another request', 'queued'],
    ['waiting for the upstream headers', 'headers'],
    ['reading a non-streaming answer', 'json-body'],
    ['reading a stream', 'sse'],
  ] as const)('a client that leaves while %s frees everything at once', async (_, phase) => {
    const { app, url, upstream } = await startProxyApp()
    let holder: ReturnType<typeof openChat> | undefined
    if (phase === 'queued') {
      upstream.script({ match: { path: CHAT }, fault: { kind: 'hang' } })
      holder = openChat(url, chatBody('holder'))
      await upstream.waitForRequest(0)
    } else if (phase === 'headers') {
      upstream.script({ match: { path: CHAT }, fault: { kind: 'hang' } })
    } else if (phase === 'json-body') {
      upstream.script({ match: { path: CHAT }, fault: { kind: 'stall-body' } })
    } else {
      upstream.script({ match: { path: CHAT }, fault: { kind: 'slow-drip', intervalMs: 100 } })
    }
    const leaving = openChat(url, chatBody('leaving', { stream: phase === 'sse' }))
    if (phase === 'queued') {
      await until(() => slots(app).queued === 1, 'the request to queue')
    } else if (phase === 'headers') {
      await upstream.waitForRequest(0)
    } else {
      const res = await leaving.response
      await once(res, 'data')
    }
    const leftAt = Date.now()
    leaving.req.destroy()

    if (phase === 'queued') {
      await until(() => slots(app).queued === 0, 'the queue to empty')
      expect(upstream.requests).toHaveLength(1) // never sent upstream
      holder?.req.destroy()
    } else {
      const ended = await upstream.waitForEnd(0)
      expect(ended.abortedAt).toBeDefined()
      expect((ended.abortedAt ?? 0) - leftAt).toBeLessThanOrEqual(UPSTREAM_CLOSE_BOUND_MS)
    }
    await until(() => slots(app).inFlight === 0 && slots(app).queued === 0, 'the slot to be free')
    for (const [index] of upstream.requests.entries()) await upstream.waitForEnd(index)
    // undici replaces a connection it had to break with a fresh idle one: at most that is left.
    await until(() => upstream.openSockets() <= 1, 'the broken upstream socket to close')
    // Leaving is the client's doing: never counted against the key.
    expect(app.keyPool.view(1)).toMatchObject({ status: 'active', errorCount: 0 })
    // And the slot really is free: the next request is served.
    upstream.script({ match: { path: CHAT }, fault: { kind: 'delay', ms: 0 } })
    const next = await postJson(url, CHAT, chatBody('next'))
    expect(next.status).toBe(200)
    await next.text()
    await app.close()
    await until(() => upstream.openSockets() === 0, 'closing the app to close every socket')
  })

  it('keeps an admin activation made while a request on the old key was streaming', async () => {
    const { app, url, upstream } = await startProxyApp()
    upstream.script({ match: { path: CHAT }, fault: { kind: 'slow-drip', intervalMs: 50 } })
    const streaming = postJson(url, CHAT, chatBody('on key A', { stream: true }))
    await upstream.waitForRequest(0)
    const activated = await app.inject({
      method: 'PUT',
      url: '/api/manage/api-keys/2/activate',
      headers: { authorization: basicAuth() },
    })
    expect(activated.statusCode).toBe(200)
    const first = await streaming
    await first.text() // key A's call ends after the override
    const next = await postJson(url, CHAT, chatBody('on key B'))
    expect(next.status).toBe(200)
    expect(upstream.requests.map((r) => r.key)).toEqual([KEY_A, KEY_B])
    expect(app.dispatch.status().switchGuard).toMatchObject({ currentKeyId: 2, blocked: null })
  })

  it('answers and frees the slot when the key pool throws while the slot is held', async () => {
    const { app, url } = await startProxyApp()
    const report = app.keyPool.report.bind(app.keyPool)
    let throws = 1
    app.keyPool.report = async (...args) => {
      if (throws-- > 0) throw new Error('pool failure in our own code')
      return report(...args)
    }
    const answered = await postJson(url, CHAT, chatBody('pool throws'))
    expect(answered.status).toBe(200)
    await answered.text()
    await until(() => slots(app).inFlight === 0, 'the slot to be free')
    expect((await postJson(url, CHAT, chatBody('next'))).status).toBe(200)
  })
})
