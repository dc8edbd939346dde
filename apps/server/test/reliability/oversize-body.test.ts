import { describe, expect, it } from 'vitest'
import { startProxyApp } from '../helpers/proxy-app.js'
import { basicAuth, TEST_CLIENT_KEY } from '../helpers/test-app.js'
import { openRaw, type RawExchange } from './raw-http.js'

/** 60 MB against the default BODY_LIMIT_MB of 50. */
const BODY_BYTES = 60 * 1024 * 1024
const LIMIT_BYTES = 50 * 1024 * 1024
const PIECE = Buffer.alloc(64 * 1024, 0x61)
const ROUNDS = 20

interface Streamed {
  result: RawExchange
  /** Body bytes written before the answer was seen (or the connection broke). */
  sentBeforeAnswer: number
}

/** Resolves on the socket's next 'drain' or 'close', or after `ms`. */
function drained(socket: import('node:net').Socket, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      socket.off('drain', done)
      socket.off('close', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    socket.on('drain', done)
    socket.on('close', done)
  })
}

/**
 * A client that streams a 60 MB body as fast as the server takes it (declared with
 * Content-Length, or chunked), watching for the answer while it writes, as a real client does:
 * it stops writing once an answer is there, or when the connection breaks.
 */
async function streamOversize(
  port: number,
  head: string,
  framing: 'declared' | 'chunked',
  /**
   * Reading as it writes and stopping at the answer, or sending its whole body before it reads
   * anything (as many HTTP clients do): it gives up only when a write fails.
   */
  client: 'watching' | 'body-first' = 'watching',
): Promise<Streamed> {
  const connection = await openRaw(port)
  const { socket } = connection
  if (client === 'body-first') socket.pause()
  const length =
    framing === 'declared' ? `Content-Length: ${BODY_BYTES}` : 'Transfer-Encoding: chunked'
  connection.write(`${head}${length}\r\n\r\n`)
  const piece =
    framing === 'declared'
      ? PIECE
      : Buffer.concat([Buffer.from(`${PIECE.length.toString(16)}\r\n`), PIECE, Buffer.from('\r\n')])
  let sent = 0
  const answered = () => {
    const state = connection.snapshot()
    const broken = state.closed || state.error !== undefined
    return broken || (client === 'watching' && state.answers.length > 0)
  }
  while (sent < BODY_BYTES && !answered()) {
    const flowing = socket.write(piece)
    sent += PIECE.length
    if (!flowing) await drained(socket, 10_000)
  }
  if (sent >= BODY_BYTES && framing === 'chunked' && !socket.destroyed) socket.write('0\r\n\r\n')
  socket.resume()
  const result = await connection.answersWithin(1, 15_000)
  socket.destroy()
  return { result, sentBeforeAnswer: sent }
}

function expectTooLarge({ result }: Streamed, round: string): void {
  const context = `${round}: ${result.error ?? ''} ${JSON.stringify(result.received.slice(0, 300))}`
  expect(result.answers, context).toHaveLength(1)
  const [answer] = result.answers
  expect(answer?.status, context).toBe(413)
  expect(answer?.headers.get('connection'), context).toBe('close')
  expect(JSON.parse(answer?.body ?? ''), context).toEqual({
    error: {
      message: expect.any(String),
      type: 'invalid_request_error',
      code: 'request_too_large',
      explanation: { code: 'body_too_large', params: { limitBytes: 50 * 1024 * 1024 } },
    },
  })
}

const proxyHead = (contentType: string) =>
  `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TEST_CLIENT_KEY}\r\n` +
  `Content-Type: ${contentType}\r\n`

/**
 * A body over BODY_LIMIT_MB with a valid client key always gets its 413 request_too_large, read
 * whole by a client that is still writing (before: the connection was destroyed while the body
 * was arriving, and the client often saw a reset instead of the answer), and nothing is queued.
 */
describe('oversize bodies get their 413', { timeout: 240_000 }, () => {
  it(`declared 60 MB JSON: a complete 413 at once, ${ROUNDS} times in a row`, async () => {
    const test = await startProxyApp()
    const port = Number(new URL(test.url).port)
    for (let round = 1; round <= ROUNDS; round += 1) {
      const streamed = await streamOversize(port, proxyHead('application/json'), 'declared')
      expectTooLarge(streamed, `round ${round}`)
      // The declared length decides: the answer comes long before the limit is read.
      expect(streamed.sentBeforeAnswer).toBeLessThan(LIMIT_BYTES)
    }
    expect(test.upstream.requests).toHaveLength(0)
    expect(test.app.dispatch.status().dispatch).toMatchObject({ inFlight: 0, queued: 0 })
  })

  it(`declared 60 MB JSON, a client that sends its whole body first: the 413 all the same, ${ROUNDS} times`, async () => {
    const test = await startProxyApp()
    const port = Number(new URL(test.url).port)
    for (let round = 1; round <= ROUNDS; round += 1) {
      const head = proxyHead('application/json')
      expectTooLarge(await streamOversize(port, head, 'declared', 'body-first'), `round ${round}`)
    }
    expect(test.upstream.requests).toHaveLength(0)
  })

  it(`chunked 60 MB JSON: a complete 413 once the limit is read, ${ROUNDS} times in a row`, async () => {
    const test = await startProxyApp()
    const port = Number(new URL(test.url).port)
    for (let round = 1; round <= ROUNDS; round += 1) {
      const streamed = await streamOversize(port, proxyHead('application/json'), 'chunked')
      expectTooLarge(streamed, `round ${round}`)
    }
    expect(test.upstream.requests).toHaveLength(0)
  })

  it('the same for uploads and for the admin API, declared and chunked', async () => {
    const test = await startProxyApp()
    const port = Number(new URL(test.url).port)
    const admin =
      'POST /api/manage/api-keys HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
      `Authorization: ${basicAuth()}\r\nContent-Type: application/json\r\n`
    const heads = [
      proxyHead('application/octet-stream'),
      proxyHead('multipart/form-data; boundary=x'),
      admin,
    ]
    for (const head of heads) {
      for (const framing of ['declared', 'chunked'] as const) {
        for (let round = 1; round <= 3; round += 1) {
          expectTooLarge(await streamOversize(port, head, framing), `${framing} ${round} ${head}`)
        }
      }
    }
    expect(test.upstream.requests).toHaveLength(0)
  })
})
