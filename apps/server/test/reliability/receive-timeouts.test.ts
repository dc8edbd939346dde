import { describe, expect, it } from 'vitest'
import { type ProxyTestApp, startProxyApp } from '../helpers/proxy-app.js'
import { basicAuth, TEST_CLIENT_KEY } from '../helpers/test-app.js'
import { openRaw, type RawConnection, type RawExchange, sleep } from './raw-http.js'

const HOST = 'Host: 127.0.0.1'
const AUTH = `Authorization: Bearer ${TEST_CLIENT_KEY}`
const CHAT = '{"model":"Qwen/Qwen2.5-7B-Instruct","messages":[{"role":"user","content":"hi"}]}'
/** A refused connection is closed "within a second": generous here, the machine may be busy. */
const CLOSED_WITHIN_MS = 3000

const portOf = (test: ProxyTestApp) => Number(new URL(test.url).port)

function expectEnvelope(result: RawExchange, status: number, code: string): void {
  const context = `${result.error ?? ''} ${JSON.stringify(result.received.slice(0, 400))}`
  expect(result.answers, context).toHaveLength(1)
  const [answer] = result.answers
  expect(answer?.status, context).toBe(status)
  expect(answer?.headers.get('connection'), context).toBe('close')
  expect(JSON.parse(answer?.body ?? '').error, context).toMatchObject({ code })
}

/**
 * Write `text` one byte every `everyMs` until it is all sent or the server closed the
 * connection; resolves with how much was written.
 */
async function trickle(connection: RawConnection, text: string, everyMs: number): Promise<number> {
  let written = 0
  while (written < text.length && !connection.snapshot().closed) {
    connection.write(text[written] as string)
    written += 1
    await sleep(everyMs)
  }
  return written
}

/**
 * A head or body that arrives slower than the receive timeouts gets 408 request_timeout in the
 * envelope and a closed connection; the timeouts end once a request is received, so an upstream
 * slower than them still answers; and a refusal closes the connection at once instead of
 * reading the refused client's body for as long as it cares to send it.
 */
describe('receive timeouts and refusals close the connection', { timeout: 60_000 }, () => {
  it('a head trickled slower than CLIENT_HEADERS_TIMEOUT_MS: 408 in the envelope, closed', async () => {
    const test = await startProxyApp({ CLIENT_HEADERS_TIMEOUT_MS: '1000' })
    const connection = await openRaw(portOf(test))
    const startedAt = Date.now()
    const head = `GET /v1/models HTTP/1.1\r\n${HOST}\r\n${AUTH}\r\nX-Slow: ${'s'.repeat(200)}\r\n\r\n`
    const written = await trickle(connection, head, 50)
    const result = await connection.closedWithin(5000)
    connection.socket.destroy()
    expect(written).toBeLessThan(head.length)
    expectEnvelope(result, 408, 'request_timeout')
    expect(result.closed).toBe(true)
    // Not before the limit, and nowhere near a minute (Node's default check runs every 30 s).
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(900)
    expect(Date.now() - startedAt).toBeLessThan(10_000)
    expect(test.upstream.requests).toHaveLength(0)
  })

  it('a body trickled past CLIENT_REQUEST_TIMEOUT_MS (never idle): 408, closed, nothing queued', async () => {
    const test = await startProxyApp({
      CLIENT_HEADERS_TIMEOUT_MS: '500',
      CLIENT_REQUEST_TIMEOUT_MS: '1500',
    })
    const connection = await openRaw(portOf(test))
    const startedAt = Date.now()
    connection.write(
      `POST /v1/chat/completions HTTP/1.1\r\n${HOST}\r\n${AUTH}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${CHAT.length}\r\n\r\n`,
    )
    // One byte every 50 ms: CLIENT_BODY_IDLE_TIMEOUT_MS (30 s) never fires, the whole would take 4 s.
    const written = await trickle(connection, CHAT, 50)
    const result = await connection.closedWithin(5000)
    connection.socket.destroy()
    expect(written).toBeLessThan(CHAT.length)
    expectEnvelope(result, 408, 'request_timeout')
    expect(JSON.parse(result.answers[0]?.body ?? '').error.message).toContain('1500 ms')
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1400)
    expect(test.upstream.requests).toHaveLength(0)
    expect(test.app.dispatch.status().dispatch).toMatchObject({ inFlight: 0, queued: 0 })
  })

  it('an upstream answer slower than CLIENT_REQUEST_TIMEOUT_MS still arrives, and the connection stays', async () => {
    const test = await startProxyApp({
      CLIENT_HEADERS_TIMEOUT_MS: '300',
      CLIENT_REQUEST_TIMEOUT_MS: '600',
    })
    test.upstream.script({
      match: { path: '/v1/chat/completions' },
      fault: { kind: 'delay', ms: 2500 },
    })
    const connection = await openRaw(portOf(test))
    const request =
      `POST /v1/chat/completions HTTP/1.1\r\n${HOST}\r\n${AUTH}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${CHAT.length}\r\n\r\n${CHAT}`
    const startedAt = Date.now()
    connection.write(request)
    const first = await connection.answersWithin(1, 15_000)
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(2400)
    expect(first.answers.map((answer) => answer.status)).toEqual([200])
    expect(JSON.parse(first.answers[0]?.body ?? '')).toMatchObject({ object: 'chat.completion' })
    // Kept alive past both limits, idle: the next request on it is served.
    connection.write(`GET /v1/models HTTP/1.1\r\n${HOST}\r\n${AUTH}\r\n\r\n`)
    const second = await connection.answersWithin(2, 15_000)
    expect(second.answers.map((answer) => answer.status)).toEqual([200, 200])
    expect(second.closed).toBe(false)
    connection.socket.destroy()
  })

  it('401 without a client key: answered at once, the body not read, closed within a second', async () => {
    const test = await startProxyApp()
    const connection = await openRaw(portOf(test))
    connection.write(
      `POST /v1/chat/completions HTTP/1.1\r\n${HOST}\r\nContent-Type: application/json\r\n` +
        'Content-Length: 100000\r\n\r\n{"model":',
    )
    const answered = await connection.answersWithin(1, 5000)
    const answeredAt = Date.now()
    expectEnvelope(answered, 401, 'invalid_client_key')
    // The client keeps sending slowly, as the tester's did for 99 s.
    void trickle(connection, 'x'.repeat(200), 100)
    const result = await connection.closedWithin(CLOSED_WITHIN_MS + 2000)
    connection.socket.destroy()
    expect(result.closed).toBe(true)
    expect(Date.now() - answeredAt).toBeLessThan(CLOSED_WITHIN_MS)
    expect(test.upstream.requests).toHaveLength(0)
  })

  /** A refusal, its expected status and code, sent with a body that has not all arrived. */
  const refusals: [string, string, number, string][] = [
    [
      '401 to a GET without a client key',
      `GET /v1/models HTTP/1.1\r\n${HOST}\r\n\r\n`,
      401,
      'invalid_client_key',
    ],
    [
      '404 of no route',
      `POST /no/such/route HTTP/1.1\r\n${HOST}\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{`,
      404,
      'not_found',
    ],
    [
      '405 of the proxy routes',
      `PUT /v1/chat/completions HTTP/1.1\r\n${HOST}\r\n${AUTH}\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{`,
      405,
      'method_not_allowed',
    ],
    [
      '401 of the admin API',
      `POST /api/manage/api-keys HTTP/1.1\r\n${HOST}\r\nAuthorization: ${basicAuth('wrong-password')}\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{`,
      401,
      'unauthorized',
    ],
    [
      '403 of the admin API (cross-site)',
      `POST /api/manage/api-keys HTTP/1.1\r\n${HOST}\r\nOrigin: https://evil.test\r\nAuthorization: ${basicAuth()}\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{`,
      403,
      'cross_site_request',
    ],
  ]

  it.each(refusals)('%s: closed once answered', async (_name, request, status, code) => {
    const test = await startProxyApp()
    const connection = await openRaw(portOf(test))
    connection.write(request)
    const result = await connection.closedWithin(CLOSED_WITHIN_MS)
    connection.socket.destroy()
    expectEnvelope(result, status, code)
    expect(result.closed).toBe(true)
    expect(test.upstream.requests).toHaveLength(0)
  })

  it('429 of the admin login throttle: closed once answered', async () => {
    const test = await startProxyApp()
    const wrong = `GET /api/manage/status HTTP/1.1\r\n${HOST}\r\nAuthorization: ${basicAuth('wrong-password')}\r\n\r\n`
    let last: RawExchange | undefined
    for (let attempt = 0; attempt < 30; attempt += 1) {
      const connection = await openRaw(portOf(test))
      connection.write(wrong)
      last = await connection.closedWithin(CLOSED_WITHIN_MS)
      connection.socket.destroy()
      expect(last.closed).toBe(true)
      if (last.answers[0]?.status === 429) break
    }
    expectEnvelope(last as RawExchange, 429, 'too_many_failed_logins')
  })

  it("an upstream's 4xx passed on is an answer, not a refusal: the connection stays", async () => {
    const test = await startProxyApp()
    test.upstream.script({
      match: { path: '/v1/chat/completions' },
      fault: {
        kind: 'status',
        status: 404,
        body: { code: 20012, message: 'Model does not exist.' },
      },
    })
    const connection = await openRaw(portOf(test))
    const request =
      `POST /v1/chat/completions HTTP/1.1\r\n${HOST}\r\n${AUTH}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${CHAT.length}\r\n\r\n${CHAT}`
    connection.write(request)
    connection.write(request)
    const result = await connection.answersWithin(2, 10_000)
    expect(result.answers.map((answer) => answer.status)).toEqual([404, 200])
    expect(result.closed).toBe(false)
    connection.socket.destroy()
  })
})
