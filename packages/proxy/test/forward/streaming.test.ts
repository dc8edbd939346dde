import { once } from 'node:events'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import { startMockUpstream } from '@sfp/test-support/upstream'
import { request } from 'undici'
import { describe, expect, it } from 'vitest'
import {
  CHAT,
  clientHeaders,
  type ProxyTestApp,
  startProxyApp,
  until,
} from '../helpers/proxy-app.js'

const json = { 'content-type': 'application/json' }

async function viaProxy(proxy: ProxyTestApp, path: string, body: object): Promise<Buffer> {
  const response = await request(`${proxy.url}${path}`, {
    method: 'POST',
    headers: clientHeaders(json),
    body: JSON.stringify(body),
  })
  expect(response.statusCode).toBe(200)
  return Buffer.from(await response.body.arrayBuffer())
}

/** The same request straight to a fresh mock (its ids start over, so bodies compare exactly). */
async function direct(path: string, body: object): Promise<Buffer> {
  const upstream = await startMockUpstream({ sseIntervalMs: 1 })
  try {
    const response = await request(`${upstream.url}${path}`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-direct-0001', ...json },
      body: JSON.stringify(body),
    })
    return Buffer.from(await response.body.arrayBuffer())
  } finally {
    await upstream.close()
  }
}

describe('streaming answers', () => {
  it('passes the stream byte for byte when the client asked for usage itself', async () => {
    const proxy = await startProxyApp()
    const body = { ...CHAT, stream: true, stream_options: { include_usage: true } }
    const proxied = await viaProxy(proxy, '/v1/chat/completions', body)
    expect(proxied.equals(await direct('/v1/chat/completions', body))).toBe(true)
    expect(proxied.toString()).toContain('"choices":[],"usage"')
    // Nothing rewritten on the way up either.
    expect(proxy.upstream.requests[0]?.body.toString()).toBe(JSON.stringify(body))
  })

  it.each([
    ['chat', '/v1/chat/completions', { ...CHAT, stream: true }],
    ['completions', '/v1/completions', { model: CHAT.model, prompt: 'def f(', stream: true }],
  ])(
    '%s: the client sees exactly the stream it would have seen without usage',
    async (_name, path, body) => {
      const proxy = await startProxyApp()
      const proxied = await viaProxy(proxy, path, body)
      expect(proxied.equals(await direct(path, body))).toBe(true)
      const [record] = await proxy.waitForRecords(1)
      expect(record?.totalTokens).toBeGreaterThan(0)
    },
  )

  it('passes broken SSE framing through unchanged', async () => {
    const proxy = await startProxyApp()
    proxy.upstream.script({ fault: { kind: 'malformed-sse' } })
    const text = (
      await viaProxy(proxy, '/v1/chat/completions', { ...CHAT, stream: true })
    ).toString()
    expect(text).toBe(
      'data: {"id":"broken","choices":[{"delta":{"content":"a"}}]}\n\n' +
        'data: {not json\n\nevent: odd\nnonsense line\n\ndata: [DONE]\n\n',
    )
  })

  it('a slow client does not make the proxy buffer the whole answer', async () => {
    const proxy = await startProxyApp()
    const size = 64 * 1024 * 1024
    proxy.upstream.script({ fault: { kind: 'large-body', bytes: size } })
    const req = httpRequest(`${proxy.url}/v1/files/big/content`, { headers: clientHeaders() })
    req.on('error', () => {})
    req.end()
    const [res] = (await once(req, 'response')) as [IncomingMessage]
    res.pause()
    // Wait until the upstream is stuck: no progress for 100 ms.
    let last = -1
    let still = 0
    await until(
      () => {
        const written = proxy.upstream.requests[0]?.responseBytes ?? 0
        still = written === last ? still + 1 : 0
        last = written
        return still >= 10
      },
      10_000,
      'the upstream to stall',
    )
    // Socket buffers on both sides (Linux autotunes them to tens of MB) plus a few stream
    // buffers: far from the whole answer.
    expect(last).toBeGreaterThan(0)
    expect(last).toBeLessThan(size / 2)
    expect(proxy.upstream.requests[0]?.finishedAt).toBeUndefined()
    req.destroy()
    await proxy.upstream.waitForEnd(0)
    await until(() => proxy.dispatch.inFlight === 0, 2000, 'the lease to be released')
  })

  it('sends a non-streamed answer that arrives whole as one buffer, in one socket write', async () => {
    // The mock answers JSON chunked (no Content-Length). It arrives whole, head and body in one
    // read: the proxy sends it as one buffer with its length (no stream, no chunked framing),
    // in one write. Relayed as a stream, its closing `0\r\n\r\n` once left in a write of its own.
    const proxy = await startProxyApp()
    let writes = 0
    proxy.app.server.on('connection', (socket: Socket) => {
      const internal = socket as Socket & { _writeGeneric: (...args: unknown[]) => unknown }
      const writeGeneric = internal._writeGeneric
      internal._writeGeneric = function (this: Socket, ...args: unknown[]) {
        writes += 1
        return writeGeneric.apply(this, args)
      }
    })
    const answers = 10
    for (let index = 0; index < answers; index += 1) {
      const response = await request(`${proxy.url}/v1/chat/completions`, {
        method: 'POST',
        headers: clientHeaders(json),
        body: JSON.stringify(CHAT),
      })
      const body = await response.body.text()
      expect(response.headers['content-length']).toBe(String(Buffer.byteLength(body)))
      expect(JSON.parse(body).usage).toBeDefined()
    }
    await proxy.waitForRecords(answers)
    // One write an answer; a little slack for an upstream answer that came in two reads.
    expect(writes).toBeLessThan(answers * 1.5)
    expect(proxy.records.every((record) => record.totalTokens !== null)).toBe(true)
  })
})
