import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { PassThrough, Readable } from 'node:stream'
import type { FastifyBaseLogger } from 'fastify'
import { request } from 'undici'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { RawReply } from '../src/raw-reply.js'

const servers: Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

interface Answering {
  url: string
  errors: Error[]
  warnings: unknown[][]
  /** The reply of the last request, once made. */
  reply: () => RawReply
}

/**
 * A server whose every request is answered by `answer` through a `RawReply` that starts with an
 * `x-request-id` and, before its head, adds `x-rule: applied` (the server's rules' place); an
 * error handed to it is answered 502 with its message.
 */
async function answeredBy(answer: (reply: RawReply, res: ServerResponse) => void) {
  const errors: Error[] = []
  const warnings: unknown[][] = []
  let last: RawReply | undefined
  const log = { warn: (...args: unknown[]) => warnings.push(args) } as unknown as FastifyBaseLogger
  const server = createServer((_req, res) => {
    last = new RawReply(
      res,
      { 'x-request-id': 'r-1' },
      {
        log,
        beforeHead: (reply) => reply.header('x-rule', 'applied'),
        onError: (error, reply) => {
          errors.push(error)
          reply.code(502).send({ error: { message: error.message } })
        },
      },
    )
    answer(last, res)
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const answering: Answering = {
    url: `http://127.0.0.1:${port}`,
    errors,
    warnings,
    reply: () => last as RawReply,
  }
  return answering
}

describe('RawReply sends what Fastify would', () => {
  it('bytes with their length and a default type, its headers and the rules', async () => {
    const server = await answeredBy((reply) => reply.code(201).send(Buffer.from('abc')))
    const answer = await request(server.url)
    expect(answer.statusCode).toBe(201)
    expect(answer.headers).toMatchObject({
      'content-type': 'application/octet-stream',
      'content-length': '3',
      'x-request-id': 'r-1',
      'x-rule': 'applied',
    })
    expect(await answer.body.text()).toBe('abc')
    expect(server.reply().sent).toBe(true)
  })

  it('an object as JSON, the type given kept', async () => {
    const server = await answeredBy((reply) =>
      reply.headers({ 'Content-Type': 'application/vnd.x+json' }).send({ a: '汉字' }),
    )
    const answer = await request(server.url)
    expect(answer.headers['content-type']).toBe('application/vnd.x+json')
    expect(answer.headers['content-length']).toBe(String(Buffer.byteLength('{"a":"汉字"}')))
    expect(await answer.body.json()).toEqual({ a: '汉字' })
  })

  it('a string as text; a 204 without length or type', async () => {
    const text = await answeredBy((reply) => reply.send('hi'))
    const answer = await request(text.url)
    expect(answer.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(await answer.body.text()).toBe('hi')

    const empty = await answeredBy((reply) =>
      reply.code(204).header('content-type', 'application/json').send(Buffer.from('')),
    )
    const none = await request(empty.url)
    expect(none.statusCode).toBe(204)
    expect(none.headers['content-type']).toBeUndefined()
    expect(none.headers['content-length']).toBeUndefined()
  })

  it('a stream piped, its head with its first bytes', async () => {
    const server = await answeredBy((reply) =>
      reply
        .header('content-type', 'text/event-stream')
        .send(Readable.from([Buffer.from('data: 1\n\n'), Buffer.from('data: 2\n\n')])),
    )
    const answer = await request(server.url)
    expect(answer.headers).toMatchObject({
      'content-type': 'text/event-stream',
      'transfer-encoding': 'chunked',
      'x-rule': 'applied',
    })
    expect(await answer.body.text()).toBe('data: 1\n\ndata: 2\n\n')
  })

  it('a stream failing before its first byte: the error answered instead, without its type', async () => {
    const server = await answeredBy((reply) => {
      const stream = new PassThrough()
      reply.headers({ 'content-type': 'text/event-stream', 'content-length': '99' }).send(stream)
      setImmediate(() => stream.destroy(new Error('the upstream broke off')))
    })
    const answer = await request(server.url)
    expect(answer.statusCode).toBe(502)
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(await answer.body.json()).toEqual({ error: { message: 'the upstream broke off' } })
    expect(server.errors.map((error) => error.message)).toEqual(['the upstream broke off'])
  })

  it('a stream failing once begun: the response cut, the failure logged', async () => {
    const server = await answeredBy((reply) => {
      const stream = new PassThrough()
      reply.send(stream)
      stream.write('partial')
      setTimeout(() => stream.destroy(new Error('broke off')), 20)
    })
    const answer = await request(server.url)
    expect(answer.statusCode).toBe(200)
    await expect(answer.body.text()).rejects.toThrow()
    expect(server.errors).toEqual([])
    expect(server.warnings).toHaveLength(1)
  })

  it('a client that leaves: the stream is destroyed', async () => {
    const stream = new PassThrough()
    const server = await answeredBy((reply) => {
      reply.send(stream)
      stream.write('first')
    })
    const controller = new AbortController()
    const answer = await request(server.url, { signal: controller.signal })
    controller.abort()
    await answer.body.text().catch(() => {})
    await vi.waitFor(() => expect(stream.destroyed).toBe(true))
  })

  it('an error: handed to onError; a second send dropped with a warning', async () => {
    const server = await answeredBy((reply) => {
      reply.send(new Error('refused'))
      reply.send(Buffer.from('late'))
    })
    const answer = await request(server.url)
    expect(answer.statusCode).toBe(502)
    expect(await answer.body.json()).toEqual({ error: { message: 'refused' } })
    expect(server.warnings).toHaveLength(1)
  })
})
