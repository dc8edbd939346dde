import { once } from 'node:events'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { describe, expect, it } from 'vitest'
import { clientHeaders, type ProxyTestApp, startProxyApp, until } from '../helpers/proxy-app.js'

/** UPSTREAM_BODY_IDLE_TIMEOUT_MS of these tests. */
const IDLE_MS = 300
/**
 * For the steady reader, longer: progress is seen at the proxy's socket, which moves only when
 * the client's kernel reopens its receive window (on loopback, after a read of some hundreds of
 * KiB), so a reader slowed down by a loaded machine could go 300 ms without moving it.
 */
const STEADY_IDLE_MS = 600
const MiB = 1024 * 1024

async function download(proxy: ProxyTestApp, bytes: number) {
  proxy.upstream.script({ fault: { kind: 'large-body', bytes } })
  const req = httpRequest(`${proxy.url}/v1/files/big/content`, { headers: clientHeaders() })
  req.on('error', () => {})
  req.end()
  const [res] = (await once(req, 'response')) as [IncomingMessage]
  res.on('error', () => {})
  return { req, res, answeredAt: Date.now() }
}

describe('a client that takes no byte of the answer', () => {
  it('is cut after the idle time: the lease goes back, the key hears clientError', async () => {
    const proxy = await startProxyApp({ settings: { upstreamBodyIdleTimeoutMs: IDLE_MS } })
    const { res, answeredAt } = await download(proxy, 32 * MiB)
    expect(res.statusCode).toBe(200)
    res.pause()
    await until(() => proxy.dispatch.releases === 1, 10 * IDLE_MS, 'the lease to be released')
    const heldMs = Date.now() - answeredAt
    // One idle time to see no progress, another at most to notice it; plus the buffers filling.
    expect(heldMs).toBeGreaterThanOrEqual(IDLE_MS)
    expect(heldMs).toBeLessThan(5 * IDLE_MS)
    expect(proxy.dispatch.inFlight).toBe(0)
    // What the kernel still held reaches the client once it reads, then the connection ends short.
    const closed = new Promise((resolve) => res.once('close', resolve))
    res.resume()
    await closed
    expect(res.complete).toBe(false)
    expect(proxy.dispatch.reports).toEqual([
      { keyId: 1, outcome: { kind: 'clientError', status: null } },
    ])
    const [record] = await proxy.waitForRecords(1)
    expect(record).toMatchObject({
      status: 200,
      upstreamStatus: 200,
      errorType: 'client_disconnected',
      errorMessage: expect.stringContaining(`no byte of the answer for ${IDLE_MS} ms`),
      errorParams: { cutAfterMs: IDLE_MS },
    })
    // The upstream call ended with it, far from the whole answer.
    const upstream = await proxy.upstream.waitForEnd(0)
    expect(upstream.abortedAt).toBeDefined()
    expect(upstream.responseBytes).toBeLessThan(32 * MiB)
  })
})

describe('a client that reads slowly but steadily', () => {
  it('is not cut, however long the answer takes', async () => {
    const proxy = await startProxyApp({ settings: { upstreamBodyIdleTimeoutMs: STEADY_IDLE_MS } })
    const size = 12 * MiB
    const { res, answeredAt } = await download(proxy, size)
    // About 8 MiB/s, a pause after every piece: far slower than the upstream, never idle long.
    let received = 0
    const reader = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _encoding, done) {
        received += chunk.length
        setTimeout(done, Math.ceil(chunk.length / 8192))
      },
    })
    let upstreamAhead = 0
    const sampling = setInterval(() => {
      const sent = proxy.upstream.requests[0]?.responseBytes ?? 0
      upstreamAhead = Math.max(upstreamAhead, sent - received)
    }, 20)
    try {
      await pipeline(res, reader)
    } finally {
      clearInterval(sampling)
    }
    const tookMs = Date.now() - answeredAt
    expect(received).toBe(size)
    // Several idle times long, with the upstream held back by the reader all along.
    expect(tookMs).toBeGreaterThan(2 * STEADY_IDLE_MS)
    expect(upstreamAhead).toBeGreaterThan(MiB)
    const [record] = await proxy.waitForRecords(1)
    expect(record).toMatchObject({ status: 200, errorType: null })
    expect(proxy.dispatch.reports).toEqual([{ keyId: 1, outcome: { kind: 'success' } }])
    expect(proxy.dispatch.releases).toBe(1)
  }, 15_000)
})
