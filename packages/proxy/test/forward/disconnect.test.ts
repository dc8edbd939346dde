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
  await until(() => proxy.dispatch.inFlight === 0, 2000, 'the lease to be released')
  expect(proxy.dispatch.releases).toBe(1)
  // Never counted against the key; the lease still hears that the call ended.
  expect(proxy.dispatch.reports).toEqual([
    { keyId: 1, outcome: { kind: 'clientError', status: null } },
  ])
  expect(proxy.dispatch.begun).toEqual([1])
  const [record] = await proxy.waitForRecords(1)
  expect(record?.errorType).toBe('client_disconnected')
  return { closeMs, record }
}

describe('client disconnects', () => {
  it('while lease() is pending: its signal aborts; a lease handed out later is released at once', async () => {
    const proxy = await startProxyApp()
    const letGo = proxy.dispatch.hold()
    const { req } = send(proxy, '/v1/chat/completions', CHAT)
    await until(() => proxy.dispatch.leases.length === 1, 2000, 'the lease to be asked for')
    const [taken] = proxy.dispatch.leases
    expect(taken?.signal?.aborted).toBe(false)
    req.destroy()
    // The signal is how a real dispatch takes the waiter out of its queue.
    await until(() => taken?.signal?.aborted === true, 2000, 'the lease signal to abort')
    // A dispatch that hands the lease out anyway: it goes back at once, nothing goes upstream.
    letGo()
    await until(() => proxy.dispatch.releases === 1, 2000, 'the late lease to be released')
    expect(proxy.dispatch.inFlight).toBe(0)
    const [record] = await proxy.waitForRecords(1)
    expect(record).toMatchObject({ status: 499, errorType: 'client_disconnected', ttfbMs: null })
    expect(proxy.upstream.requests).toHaveLength(0)
    // Never counted against the key.
    expect(proxy.dispatch.kinds().every((kind) => kind === 'clientError')).toBe(true)
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
    await until(() => proxy.dispatch.reports.length === 1, 2000, 'the 503 to be reported')
    req.destroy()
    await until(() => proxy.dispatch.inFlight === 0, 2000, 'the lease to be released')
    const [record] = await proxy.waitForRecords(1)
    expect(record).toMatchObject({ status: 499, attempts: 1, errorType: 'client_disconnected' })
    expect(proxy.upstream.requests).toHaveLength(1)
    expect(proxy.dispatch.releases).toBe(1)
  })
})
