import { request } from 'node:http'
import type { StatusView } from '@sfp/schemas'
import { describe, expect, it } from 'vitest'
import { chatBody, KEY_A, postJson, startProxyApp } from '../helpers/proxy-app.js'
import { basicAuth, TEST_CLIENT_KEY } from '../helpers/test-app.js'

const CHAT = '/v1/chat/completions'

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
})
