import { describe, expect, it } from 'vitest'
import { type ProxyTestApp, startProxyApp } from '../helpers/proxy-app.js'
import { TEST_CLIENT_KEY } from '../helpers/test-app.js'
import { exchange, openRaw, type RawExchange } from './raw-http.js'

const AUTH = `Authorization: Bearer ${TEST_CLIENT_KEY}`
const HOST = 'Host: 127.0.0.1'
const JSON_POST = `POST /v1/chat/completions HTTP/1.1\r\n${HOST}\r\n${AUTH}\r\nContent-Type: application/json\r\n`
const CHAT = '{"model":"Qwen/Qwen2.5-7B-Instruct","messages":[{"role":"user","content":"hi"}]}'

const portOf = (app: ProxyTestApp) => Number(new URL(app.url).port)

/**
 * What every refusal of a malformed request must look like on the wire: one complete answer
 * with `status`, `Connection: close`, JSON in the error envelope with `code`, and then the
 * connection closed by the server (nothing else answered, no smuggled second request).
 */
function expectRefused(result: RawExchange, status: number, code: string): void {
  const context = JSON.stringify(result.received.slice(0, 400))
  expect(result.answers, context).toHaveLength(1)
  const [answer] = result.answers
  expect(answer?.status, context).toBe(status)
  expect(answer?.headers.get('connection'), context).toBe('close')
  expect(answer?.headers.get('content-type'), context).toMatch(/^application\/json/)
  expect(JSON.parse(answer?.body ?? ''), context).toEqual({
    error: { message: expect.any(String), type: 'invalid_request_error', code },
  })
  expect(result.closed, `${context}: the connection stayed open`).toBe(true)
}

/** Request heads that RFC 9112 refuses and Node's parser (or Node itself) let through. */
const LENIENT_BEFORE: [string, string][] = [
  // llhttp reads a request line without a version as HTTP/0.9, headers and all.
  ['CRLF right after the target (HTTP/0.9)', `GET /v1/models\r\n${HOST}\r\n${AUTH}\r\n\r\n`],
  ['bare LF right after the target (HTTP/0.9)', `GET /v1/models\n${HOST}\n${AUTH}\n\n`],
  ['two Host headers', `GET /v1/models HTTP/1.1\r\n${HOST}\r\nHost: evil.test\r\n${AUTH}\r\n\r\n`],
  [
    'Host twice in two spellings',
    `GET /v1/models HTTP/1.1\r\nhost: a\r\nHOST: a\r\n${AUTH}\r\n\r\n`,
  ],
  ['no Host in HTTP/1.1', `GET /v1/models HTTP/1.1\r\n${AUTH}\r\n\r\n`],
  ['a Host that is no host', `GET /v1/models HTTP/1.1\r\nHost: a b/c\r\n${AUTH}\r\n\r\n`],
  ['HTTP/2.0 in an HTTP/1 request line', `GET /v1/models HTTP/2.0\r\n${HOST}\r\n${AUTH}\r\n\r\n`],
  [
    'Transfer-Encoding in HTTP/1.0',
    `POST /v1/chat/completions HTTP/1.0\r\n${HOST}\r\n${AUTH}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
  ],
]

/** Heads and bodies Node's parser refuses itself (before: Fastify's `{"error":"Bad Request"}`). */
const PARSER_ERRORS: [string, string][] = [
  ['CR inside the target', `GET /v1/mo\rdels HTTP/1.1\r\n${HOST}\r\n${AUTH}\r\n\r\n`],
  ['LF inside the target', `GET /v1/mo\ndels HTTP/1.1\r\n${HOST}\r\n${AUTH}\r\n\r\n`],
  ['bare LF line endings', `GET /v1/models HTTP/1.1\n${HOST}\n${AUTH}\n\n`],
  ['a lower-case method', `get /v1/models HTTP/1.1\r\n${HOST}\r\n${AUTH}\r\n\r\n`],
  [
    'CL.TE with a smuggled request',
    `${JSON_POST}Content-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /healthz HTTP/1.1\r\n${HOST}\r\n\r\n`,
  ],
  [
    'TE.CL with a smuggled request',
    `${JSON_POST}Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n5c\r\nGET /healthz HTTP/1.1\r\n${HOST}\r\n\r\n0\r\n\r\n`,
  ],
  [
    'two different Content-Length',
    `${JSON_POST}Content-Length: 4\r\nContent-Length: 5\r\n\r\n{}{}}`,
  ],
  ['two equal Content-Length', `${JSON_POST}Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}`],
  ['a listed Content-Length', `${JSON_POST}Content-Length: 2, 2\r\n\r\n{}`],
  ['a signed Content-Length', `${JSON_POST}Content-Length: +2\r\n\r\n{}`],
  ['obs-fold', `GET /v1/models HTTP/1.1\r\n${HOST}\r\n${AUTH}\r\nX-Folded: a\r\n b\r\n\r\n`],
  ['a space before the colon', `GET /v1/models HTTP/1.1\r\n${HOST}\r\nX-A : b\r\n${AUTH}\r\n\r\n`],
  ['a NUL in a header value', `GET /v1/models HTTP/1.1\r\n${HOST}\r\nX-A: a\0b\r\n${AUTH}\r\n\r\n`],
  [
    'Transfer-Encoding that does not end in chunked',
    `${JSON_POST}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n`,
  ],
  ['Transfer-Encoding: gzip alone', `${JSON_POST}Transfer-Encoding: gzip\r\n\r\n{}`],
  [
    'chunked twice',
    `${JSON_POST}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
  ],
  [
    'a chunk size that is not hex',
    `${JSON_POST}Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
  ],
  [
    'a chunk size that overflows',
    `${JSON_POST}Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n{}\r\n0\r\n\r\n`,
  ],
  [
    'a chunk without CRLF after it',
    `${JSON_POST}Transfer-Encoding: chunked\r\n\r\n2\r\n{}X\r\n0\r\n\r\n`,
  ],
  [
    'a bare LF after a chunk size',
    `${JSON_POST}Transfer-Encoding: chunked\r\n\r\n2\n{}\r\n0\r\n\r\n`,
  ],
]

/**
 * Raw sockets against the listening server (RFC 9112): what the hostile tester found. Every
 * malformed request gets one answer, 400 (431 for a head too large) in the error envelope with
 * `Connection: close`, and its connection is closed; well-formed requests still keep theirs.
 */
describe('strict HTTP/1.1 parsing, refusals in the envelope', () => {
  it.each(LENIENT_BEFORE)('refuses %s with 400 and closes', async (_name, request) => {
    const test = await startProxyApp()
    expectRefused(await exchange(portOf(test), request), 400, 'validation_error')
    // Nothing went upstream.
    expect(test.upstream.requests).toHaveLength(0)
  })

  it.each(PARSER_ERRORS)('refuses %s with 400 and closes', async (_name, request) => {
    const test = await startProxyApp()
    expectRefused(await exchange(portOf(test), request), 400, 'validation_error')
    expect(test.upstream.requests).toHaveLength(0)
  })

  it('refuses CONNECT (not a forward proxy) with 400 and closes, instead of dropping it', async () => {
    const test = await startProxyApp()
    const request =
      'CONNECT api.siliconflow.cn:443 HTTP/1.1\r\nHost: api.siliconflow.cn:443\r\n\r\n'
    expectRefused(await exchange(portOf(test), request), 400, 'validation_error')
  })

  it('refuses a head over 16 KiB with 431 request_too_large and closes', async () => {
    const test = await startProxyApp()
    const request = `GET /v1/models HTTP/1.1\r\n${HOST}\r\n${AUTH}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`
    expectRefused(await exchange(portOf(test), request), 431, 'request_too_large')
  })

  it('still keeps well-formed requests alive, HTTP/1.0 without Host included', async () => {
    const test = await startProxyApp()
    const connection = await openRaw(portOf(test))
    connection.write(`GET /v1/models HTTP/1.1\r\n${HOST}\r\n${AUTH}\r\n\r\n`)
    connection.write(`${JSON_POST}Content-Length: ${CHAT.length}\r\n\r\n${CHAT}`)
    connection.write(
      `${JSON_POST}Transfer-Encoding: chunked\r\n\r\n${CHAT.length.toString(16)}\r\n${CHAT}\r\n0\r\n\r\n`,
    )
    const result = await connection.answersWithin(3, 10_000)
    expect(result.answers.map((answer) => answer.status)).toEqual([200, 200, 200])
    expect(result.closed).toBe(false)
    connection.socket.destroy()
    const old = await exchange(portOf(test), 'GET /healthz HTTP/1.0\r\n\r\n')
    expect(old.answers.map((answer) => answer.status)).toEqual([200])
  })
})
