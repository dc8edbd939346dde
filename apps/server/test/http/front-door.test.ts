import type { IncomingHttpHeaders } from 'node:http'
import { Readable } from 'node:stream'
import { request } from 'undici'
import { describe, expect, it, vi } from 'vitest'
import { GatewayServer } from '../../src/http/gateway-server.js'
import { CHAT_MODEL, chatBody, type ProxyTestApp, startProxyApp } from '../helpers/proxy-app.js'
import { sqliteOf, TEST_CLIENT_KEY } from '../helpers/test-app.js'

/**
 * The front door (src/http/front-door.ts) takes the proxy's JSON requests before Fastify. Each
 * request here is sent twice over a real socket, through the front door and then with it
 * removed (through Fastify), and the two answers and request-log rows must be the same.
 */

const ALLOWED_ORIGIN = 'https://allowed.example'

interface Sent {
  path?: string
  body: string
  headers?: Record<string, string>
}

interface Answer {
  status: number
  headers: Record<string, string | undefined>
  body: unknown
}

/** The headers the two ways must agree on (Node adds `keep-alive`, `date` over a socket). */
const COMPARED_HEADERS = [
  'content-type',
  'content-length',
  'access-control-allow-origin',
  'access-control-expose-headers',
  'vary',
  'retry-after',
  'allow',
] as const

function comparable(status: number, headers: IncomingHttpHeaders, text: string): Answer {
  expect(headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
  const picked: Answer['headers'] = {}
  for (const name of COMPARED_HEADERS) picked[name] = headers[name] as string | undefined
  // Only `close` is the server's word; a kept connection is Node's default.
  picked.connection = headers.connection === 'close' ? 'close' : undefined
  if (String(headers['content-type']).startsWith('text/event-stream')) {
    // The look-alike's events carry fresh ids: their count and the end are what must match.
    const events = text.split('\n\n').filter((event) => event.startsWith('data:'))
    return { status, headers: picked, body: { events: events.length, last: events.at(-1) } }
  }
  return { status, headers: picked, body: withoutFreshFields(JSON.parse(text)) }
}

/** The look-alike's answers carry an id and a time of their own. */
function withoutFreshFields(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value
  const { id: _id, created: _created, ...rest } = value as Record<string, unknown>
  return rest
}

const requestHeaders = (sent: Sent) => ({
  authorization: `Bearer ${TEST_CLIENT_KEY}`,
  'content-type': 'application/json',
  ...sent.headers,
})

async function overSocket(test: ProxyTestApp, sent: Sent): Promise<Answer> {
  const answer = await request(`${test.url}${sent.path ?? '/v1/chat/completions'}`, {
    method: 'POST',
    headers: requestHeaders(sent),
    body: sent.body,
  })
  return comparable(answer.statusCode, answer.headers, await answer.body.text())
}

function gatewayOf(test: ProxyTestApp): GatewayServer {
  const { server } = test.app
  if (!(server instanceof GatewayServer)) throw new Error('the app is served by the gateway server')
  return server
}

/** The same request with the front door removed: Fastify's routes answer it. */
async function throughFastify(test: ProxyTestApp, sent: Sent): Promise<Answer> {
  gatewayOf(test).useFrontDoor(undefined)
  return overSocket(test, sent)
}

/**
 * The request log's rows (a request is recorded just after its answer is out: polled until all
 * `n` are there), without what differs between any two requests.
 */
async function loggedRows(test: ProxyTestApp, n: number): Promise<Record<string, unknown>[]> {
  const count = () =>
    (sqliteOf(test.app).prepare('SELECT count(*) AS n FROM request_logs').get() as { n: number }).n
  await vi.waitFor(async () => {
    await test.app.requestLog.flush()
    expect(count()).toBe(n)
  })
  const rows = sqliteOf(test.app)
    .prepare(
      `SELECT client_key_id, upstream_key_id, egress_id, client_ip, method, path, model, stream,
        status, upstream_status, attempts, prompt_tokens, completion_tokens, total_tokens,
        error_type, error_message, error_params, cost
       FROM request_logs ORDER BY id`,
    )
    .all() as Record<string, unknown>[]
  return rows
}

async function startApp(): Promise<ProxyTestApp> {
  return startProxyApp({ CORS_ORIGINS: ALLOWED_ORIGIN })
}

const origin = { origin: ALLOWED_ORIGIN }

describe('the front door answers as Fastify does', () => {
  const cases: [string, Sent, () => Answer['status']][] = [
    ['a chat completion', { body: JSON.stringify(chatBody()) }, () => 200],
    ['from an allowed origin', { body: JSON.stringify(chatBody()), headers: origin }, () => 200],
    [
      'from another origin',
      { body: JSON.stringify(chatBody()), headers: { origin: 'https://other.example' } },
      () => 200,
    ],
    [
      'a stream',
      { body: JSON.stringify(chatBody('stream me please', { stream: true })), headers: origin },
      () => 200,
    ],
    [
      'the older prefix',
      { path: '/api/proxy/chat/completions', body: JSON.stringify(chatBody()) },
      () => 200,
    ],
    [
      'a query string',
      { path: '/v1/chat/completions?trace=1', body: JSON.stringify(chatBody()) },
      () => 200,
    ],
    ['a malformed body', { body: '{"model": "x", ', headers: origin }, () => 400],
    ['a body without a model', { body: JSON.stringify({ messages: [] }) }, () => 400],
    ['a path that names nothing', { path: '/v1/', body: JSON.stringify(chatBody()) }, () => 404],
    [
      'a doubled slash',
      { path: '/v1//chat/completions', body: JSON.stringify(chatBody()) },
      () => 404,
    ],
    [
      'a long path',
      { path: `/v1/${'segment/'.repeat(40)}x`, body: JSON.stringify(chatBody()) },
      () => 404,
    ],
  ]

  it.each(cases)('%s', async (_name, sent, status) => {
    const test = await startApp()
    const takeJson = vi.spyOn(test.app.proxy, 'takeJson')
    const viaSocket = await overSocket(test, sent)
    expect(takeJson).toHaveLastReturnedWith(true)
    expect(takeJson).toHaveBeenCalledTimes(1)
    const viaFastify = await throughFastify(test, sent)
    expect(takeJson).toHaveBeenCalledTimes(1)

    expect(viaSocket.status).toBe(status())
    expect(viaSocket).toEqual(viaFastify)
    const [socketRow, fastifyRow] = await loggedRows(test, 2)
    expect(socketRow).toEqual(fastifyRow)
    expect(socketRow).toMatchObject({ client_ip: '127.0.0.1', status: status() })
  })

  it('an upstream error is passed on the same way, its key masked', async () => {
    const test = await startApp()
    const upstreamError = {
      kind: 'status',
      status: 400,
      body: { code: 20015, message: 'The parameter is invalid', data: null },
    } as const
    test.upstream.script({ fault: upstreamError, times: 2 })
    const sent = { body: JSON.stringify(chatBody()), headers: origin }
    const viaSocket = await overSocket(test, sent)
    expect(viaSocket).toEqual(await throughFastify(test, sent))
    expect(viaSocket).toMatchObject({ status: 400, body: { code: 20015 } })
    const [socketRow, fastifyRow] = await loggedRows(test, 2)
    expect(socketRow).toEqual(fastifyRow)
    expect(socketRow).toMatchObject({ error_type: 'upstream_error', upstream_status: 400 })
  })

  it('the request id is on the answer and in the log row', async () => {
    const test = await startApp()
    const answer = await request(`${test.url}/v1/chat/completions`, {
      method: 'POST',
      headers: requestHeaders({ body: '' }),
      body: JSON.stringify(chatBody()),
    })
    await answer.body.text()
    await loggedRows(test, 1)
    const row = sqliteOf(test.app).prepare('SELECT request_id, model FROM request_logs').get()
    expect(row).toEqual({ request_id: answer.headers['x-request-id'], model: CHAT_MODEL })
  })
})

describe('the client address behind TRUST_PROXY', () => {
  it('is the one the nearest proxy added, both ways', async () => {
    const test = await startProxyApp({ TRUST_PROXY: 'true' })
    const sent = {
      body: JSON.stringify(chatBody()),
      headers: { 'x-forwarded-for': '203.0.113.7, 198.51.100.9,  192.0.2.4' },
    }
    const takeJson = vi.spyOn(test.app.proxy, 'takeJson')
    expect(await overSocket(test, sent)).toEqual(await throughFastify(test, sent))
    expect(takeJson).toHaveBeenCalledTimes(1)
    const rows = await loggedRows(test, 2)
    expect(rows.map((row) => row.client_ip)).toEqual(['192.0.2.4', '192.0.2.4'])
  })
})

describe('the front door leaves to Fastify', () => {
  const left: [string, Sent, number][] = [
    [
      'a request without a client key (401, recorded there)',
      { body: JSON.stringify(chatBody()), headers: { authorization: '' } },
      401,
    ],
    [
      'a wrong client key',
      { body: JSON.stringify(chatBody()), headers: { authorization: 'Bearer sk-wrong' } },
      401,
    ],
    [
      'another JSON content type',
      {
        body: JSON.stringify(chatBody()),
        headers: { 'content-type': 'application/json; charset=latin1' },
      },
      200,
    ],
    [
      'a percent-escape in the path',
      { path: '/v1/chat%2Fcompletions', body: JSON.stringify(chatBody()) },
      404,
    ],
  ]

  it.each(left)('%s', async (_name, sent, status) => {
    const test = await startApp()
    const takeJson = vi.spyOn(test.app.proxy, 'takeJson')
    const viaSocket = await overSocket(test, sent)
    expect(takeJson.mock.results.every((result) => result.value === false)).toBe(true)
    expect(viaSocket.status).toBe(status)
    expect(viaSocket).toEqual(await throughFastify(test, sent))
  })

  it('a chunked body', async () => {
    const test = await startApp()
    const takeJson = vi.spyOn(test.app.proxy, 'takeJson')
    const answer = await request(`${test.url}/v1/chat/completions`, {
      method: 'POST',
      headers: requestHeaders({ body: '' }),
      // A stream of unknown length: sent chunked.
      body: Readable.from([Buffer.from(JSON.stringify(chatBody()))]),
    })
    expect(answer.statusCode).toBe(200)
    expect(JSON.parse(await answer.body.text())).toMatchObject({ object: 'chat.completion' })
    expect(takeJson).not.toHaveBeenCalled()
  })

  it('every request once shutdown has begun (Fastify closes its connection)', async () => {
    const test = await startApp()
    const takeJson = vi.spyOn(test.app.proxy, 'takeJson')
    gatewayOf(test).beginShutdown()
    const answer = await request(`${test.url}/v1/chat/completions`, {
      method: 'POST',
      headers: requestHeaders({ body: '' }),
      body: JSON.stringify(chatBody()),
    })
    await answer.body.text()
    expect(answer.headers.connection).toBe('close')
    expect(takeJson).not.toHaveBeenCalled()
  })
})
