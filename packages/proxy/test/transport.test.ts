import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { PassThrough } from 'node:stream'
import { text } from 'node:stream/consumers'
import { errorCodeOf as errorCode } from '@sfp/egress'
import { type MockUpstream, startMockUpstream } from '@sfp/test-support/upstream'
import { Agent } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { createTransport, type TransportOptions, wrapTransportError } from '../src/transport.js'

/** The lane's dispatcher: a plain Agent, with undici's default timeouts (the transport sets its own). */
let dispatcher = new Agent()
let upstream: MockUpstream | undefined
afterEach(async () => {
  await dispatcher.destroy()
  await upstream?.close()
  dispatcher = new Agent()
  upstream = undefined
})

async function setup(options: Partial<TransportOptions> = {}) {
  upstream = await startMockUpstream({ sseIntervalMs: 1 })
  const transport = createTransport({
    baseUrl: upstream.url,
    headersTimeoutMs: 5000,
    bodyIdleTimeoutMs: 5000,
    ...options,
  })
  return { upstream, transport }
}

const models = (signal = new AbortController().signal) => ({
  dispatcher,
  method: 'GET',
  path: '/v1/models?type=text',
  headers: { authorization: 'Bearer sk-transport-test' },
  body: undefined,
  signal,
})

/** A transport whose upstream is a port nobody listens on (any more). */
async function transportToClosedPort() {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return createTransport({
    baseUrl: `http://127.0.0.1:${port}`,
    headersTimeoutMs: 1000,
    bodyIdleTimeoutMs: 1000,
  })
}

/** A streamed completion: what a test needs when the answer's body must be under way. */
const streamedChat = (signal?: AbortSignal) => ({
  ...models(signal),
  method: 'POST',
  path: '/v1/chat/completions',
  headers: { authorization: 'Bearer sk-x', 'content-type': 'application/json' },
  body: Buffer.from(JSON.stringify({ model: 'Qwen/Qwen2.5-7B-Instruct', stream: true })),
})

describe('transport', () => {
  it('sends one attempt through the given dispatcher, returning status, headers and a body stream', async () => {
    const { transport, upstream } = await setup()
    const response = await transport.send(models())
    expect(response.status).toBe(200)
    expect(response.headers['x-siliconcloud-trace-id']).toBe('trace-1')
    expect(JSON.parse(await text(response.body.toReadable())).object).toBe('list')
    expect(upstream.requests[0]?.url).toBe('/v1/models?type=text')
  })

  it('keeps the connection alive between attempts', async () => {
    const { transport, upstream } = await setup()
    await text((await transport.send(models())).body.toReadable())
    // The body's end comes a moment before undici hands the connection back to the pool.
    await new Promise((resolve) => setTimeout(resolve, 10))
    await text((await transport.send(models())).body.toReadable())
    expect(upstream.openSockets()).toBe(1)
  })

  it('goes out through the dispatcher of each attempt', async () => {
    const { transport, upstream } = await setup()
    const other = new Agent({ localAddress: '127.0.0.2' })
    try {
      await text((await transport.send(models())).body.toReadable())
      await text((await transport.send({ ...models(), dispatcher: other })).body.toReadable())
    } finally {
      await other.destroy()
    }
    expect(upstream.requests.map((r) => r.sourceAddress)).toEqual(['127.0.0.1', '127.0.0.2'])
  })

  it('puts the base URL path in front', async () => {
    const { upstream } = await setup()
    const transport = createTransport({
      baseUrl: `${upstream.url}/prefix/`,
      headersTimeoutMs: 1000,
      bodyIdleTimeoutMs: 1000,
    })
    await text((await transport.send(models())).body.toReadable())
    expect(upstream.requests[0]?.path).toBe('/prefix/v1/models')
  })

  it('wraps a refused connection: 502 upstream_unreachable, undici error as cause', async () => {
    const transport = await transportToClosedPort()
    await expect(transport.send(models())).rejects.toMatchObject({
      code: 'SFP_UPSTREAM_UNREACHABLE',
      statusCode: 502,
      failure: { cause: 'connection_refused', code: 'ECONNREFUSED' },
      cause: expect.objectContaining({ code: 'ECONNREFUSED' }),
    })
  })

  it('times out waiting for headers: 504 upstream_timeout', async () => {
    const { transport, upstream } = await setup({ headersTimeoutMs: 100 })
    upstream.script({ fault: { kind: 'hang' } })
    await expect(transport.send(models())).rejects.toMatchObject({
      code: 'SFP_UPSTREAM_TIMEOUT',
      statusCode: 504,
      failure: { cause: 'headers_timeout', code: 'UND_ERR_HEADERS_TIMEOUT' },
    })
  })

  it('times out a body that goes silent', async () => {
    const { transport, upstream } = await setup({ bodyIdleTimeoutMs: 100 })
    upstream.script({ fault: { kind: 'stall-body' } })
    const response = await transport.send(streamedChat())
    await expect(text(response.body.toReadable())).rejects.toMatchObject({
      code: 'UND_ERR_BODY_TIMEOUT',
    })
  })

  it('refuses oversized response headers', async () => {
    const { transport, upstream } = await setup()
    upstream.script({ fault: { kind: 'oversized-headers' } })
    await expect(transport.send(models())).rejects.toMatchObject({
      code: 'SFP_UPSTREAM_UNREACHABLE',
      failure: { cause: 'headers_too_large', code: 'UND_ERR_HEADERS_OVERFLOW' },
    })
  })

  it('keeps an answer that is read late whole', async () => {
    const { transport, upstream } = await setup()
    const bytes = 1024 * 1024
    upstream.script({ fault: { kind: 'large-body', bytes } })
    const response = await transport.send(models())
    // Nobody reads for a while: the connection waits instead of the body piling up in memory.
    await new Promise((resolve) => setTimeout(resolve, 50))
    const received: Buffer[] = []
    await new Promise<void>((resolve, reject) => {
      response.body.pipeTo({
        data: (chunk) => received.push(chunk),
        end: resolve,
        error: reject,
      })
    })
    expect(Buffer.concat(received).length).toBe(bytes)
  })

  it('aborts the upstream request when the signal aborts mid-answer; the body hears why', async () => {
    const { transport, upstream } = await setup({ bodyIdleTimeoutMs: 5000 })
    upstream.script({ fault: { kind: 'stall-body' } })
    const controller = new AbortController()
    const response = await transport.send(streamedChat(controller.signal))
    const reading = text(response.body.toReadable())
    const reason = new Error('client gone')
    controller.abort(reason)
    await expect(reading).rejects.toBe(reason)
    expect((await upstream.waitForEnd(0)).abortedAt).toBeDefined()
  })

  it('closes the connection of an answer dropped unread', async () => {
    const { transport, upstream } = await setup()
    upstream.script({ fault: { kind: 'stall-body' } })
    const response = await transport.send(streamedChat())
    response.body.destroy()
    expect(response.body.destroyed).toBe(true)
    expect((await upstream.waitForEnd(0)).abortedAt).toBeDefined()
  })

  it('destroys a streamed request body when the request fails', async () => {
    const transport = await transportToClosedPort()
    const upload = new PassThrough()
    upload.write('part of an upload')
    await expect(
      transport.send({
        ...models(),
        method: 'POST',
        path: '/v1/audio/transcriptions',
        body: upload,
      }),
    ).rejects.toMatchObject({ code: 'SFP_UPSTREAM_UNREACHABLE' })
    expect(upload.destroyed).toBe(true)
  })

  it('rejects with the signal reason when aborted, closing the upstream socket', async () => {
    const { transport, upstream } = await setup()
    upstream.script({ fault: { kind: 'hang' } })
    const controller = new AbortController()
    const sending = transport.send(models(controller.signal))
    await upstream.waitForRequest(0)
    const reason = new Error('client gone')
    controller.abort(reason)
    await expect(sending).rejects.toBe(reason)
    expect((await upstream.waitForEnd(0)).abortedAt).toBeDefined()
  })
})

describe('transport errors', () => {
  it('are chosen by code, never by message', () => {
    const coded = (code: string) =>
      Object.assign(new Error('ignored text: ECONNRESET timeout'), { code })
    expect(wrapTransportError(coded('UND_ERR_CONNECT_TIMEOUT'))).toMatchObject({
      code: 'SFP_UPSTREAM_TIMEOUT',
      failure: { cause: 'connect_timeout', code: 'UND_ERR_CONNECT_TIMEOUT' },
    })
    expect(wrapTransportError(coded('UND_ERR_SOCKET')).code).toBe('SFP_UPSTREAM_UNREACHABLE')
    expect(wrapTransportError(coded('ECONNRESET')).message).toContain('connection reset')
    expect(wrapTransportError(coded('HPE_INVALID_CHUNK_SIZE')).message).toContain('malformed')
    expect(wrapTransportError(new Error('ECONNREFUSED')).failure).toEqual({
      cause: 'failed',
      code: 'UNKNOWN',
    })
  })

  it('reads the code of an AggregateError (happy eyeballs)', () => {
    const inner = Object.assign(new Error('x'), { code: 'ECONNREFUSED' })
    expect(errorCode(new AggregateError([inner]))).toBe('ECONNREFUSED')
  })
})
