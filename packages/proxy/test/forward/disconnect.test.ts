import { once } from 'node:events'
import { type ClientRequest, type IncomingMessage, request } from 'node:http'
import { describe, expect, it } from 'vitest'
import {
  CHAT,
  clientHeaders,
  type ProxyTestApp,
  startProxyApp,
  until,
} from '../helpers/proxy-app.js'

/** The bound for closing the upstream socket after the client left. */
const UPSTREAM_CLOSE_BOUND_MS = 100

function send(proxy: ProxyTestApp, path: string, body: object) {
  const payload = JSON.stringify(body)
  const req = request(`${proxy.url}${path}`, {
    method: 'POST',
    headers: clientHeaders({ 'content-type': 'application/json' }),
  })
  req.on('error', () => {})
  const response = once(req, 'response').then(([res]) => res as IncomingMessage)
  // The client leaves on purpose: its "socket hang up" is expected.
  response.catch(() => {})
  req.end(payload)
  return { req, response }
}

/** Leave, then check the upstream request ended within the bound and everything was freed. */
async function leaveAndCheck(proxy: ProxyTestApp, req: ClientRequest, upstreamIndex: number) {
  const leftAt = Date.now()
  req.destroy()
  const ended = await proxy.upstream.waitForEnd(upstreamIndex)
  expect(ended.abortedAt).toBeDefined()
  const closeMs = (ended.abortedAt ?? 0) - leftAt
  expect(closeMs).toBeLessThanOrEqual(UPSTREAM_CLOSE_BOUND_MS)
  await until(() => proxy.upstream.openSockets() === 0, 2000, 'the upstream socket to close')
  await until(() => proxy.dispatch.inFlight === 0, 2000, 'the slot to be free')
  expect(proxy.dispatch.releases).toBe(1)
  // Never counted against the key; the guard still hears that the call ended.
  expect(proxy.pool.reports).toEqual([{ keyId: 1, outcome: { kind: 'clientError', status: null } }])
  expect(proxy.dispatch.uses).toEqual([1])
  const [record] = await proxy.waitForRecords(1)
  expect(record?.errorType).toBe('client_disconnected')
  return { closeMs, record }
}

describe('client disconnects', () => {
  it('while queued: leaves the queue, no upstream call', async () => {
    const proxy = await startProxyApp()
    proxy.upstream.script({ fault: { kind: 'hang' } })
    const first = send(proxy, '/v1/chat/completions', CHAT)
    await proxy.upstream.waitForRequest(0)
    const second = send(proxy, '/v1/chat/completions', CHAT)
    await until(() => proxy.dispatch.queue.length === 1, 2000, 'the second request to queue')
    second.req.destroy()
    await until(() => proxy.dispatch.queue.length === 0, 2000, 'the queue to empty')
    const [record] = await proxy.waitForRecords(1)
    expect(record).toMatchObject({ status: 499, attempts: 0, errorType: 'client_disconnected' })
    expect(proxy.upstream.requests).toHaveLength(1)
    expect(proxy.dispatch.inFlight).toBe(1)
    first.req.destroy()
    await until(() => proxy.dispatch.inFlight === 0, 2000, 'the first slot to be free')
  })

  it('while waiting for the upstream headers: the upstream request is aborted', async () => {
    const proxy = await startProxyApp()
    proxy.upstream.script({ fault: { kind: 'hang' } })
    const { req } = send(proxy, '/v1/chat/completions', CHAT)
    await proxy.upstream.waitForRequest(0)
    const { record } = await leaveAndCheck(proxy, req, 0)
    expect(record).toMatchObject({ status: 499, attempts: 1, upstreamStatus: null, ttfbMs: null })
  })

  it('while streaming SSE: the upstream request is aborted', async () => {
    const proxy = await startProxyApp()
    proxy.upstream.script({ fault: { kind: 'slow-drip', intervalMs: 50 } })
    const { req, response } = send(proxy, '/v1/chat/completions', { ...CHAT, stream: true })
    const res = await response
    await once(res, 'data')
    const { record } = await leaveAndCheck(proxy, req, 0)
    expect(record).toMatchObject({ status: 200, upstreamStatus: 200, stream: true })
  })

  it('while receiving a non-streamed body: the upstream request is aborted', async () => {
    const proxy = await startProxyApp()
    proxy.upstream.script({ fault: { kind: 'slow-drip', intervalMs: 50 } })
    const speech = { model: 'FunAudioLLM/CosyVoice2-0.5B', voice: 'alloy', input: 'hello' }
    const { req, response } = send(proxy, '/v1/audio/speech', speech)
    const res = await response
    expect(res.headers['content-type']).toBe('audio/mpeg')
    await once(res, 'data')
    const { record } = await leaveAndCheck(proxy, req, 0)
    expect(record).toMatchObject({ status: 200, upstreamStatus: 200, stream: false })
  })

  it('during a retry backoff: the wait ends and no further attempt is made', async () => {
    const proxy = await startProxyApp({ realSleep: true, retry: { baseDelayMs: 10_000 } })
    proxy.upstream.script({
      fault: { kind: 'status', status: 503, body: { code: 50508, message: 'busy', data: null } },
    })
    const { req } = send(proxy, '/v1/chat/completions', CHAT)
    await until(() => proxy.pool.reports.length === 1, 2000, 'the 503 to be reported')
    req.destroy()
    await until(() => proxy.dispatch.inFlight === 0, 2000, 'the slot to be free')
    const [record] = await proxy.waitForRecords(1)
    expect(record).toMatchObject({ status: 499, attempts: 1, errorType: 'client_disconnected' })
    expect(proxy.upstream.requests).toHaveLength(1)
    expect(proxy.dispatch.releases).toBe(1)
  })
})
