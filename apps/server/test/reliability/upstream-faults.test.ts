import type { Fault } from '@sfp/test-support/upstream'
import { describe, expect, it, vi } from 'vitest'
import {
  chatBody,
  KEY_A,
  type ProxyTestApp,
  postJson,
  startProxyApp,
} from '../helpers/proxy-app.js'

const CHAT = '/v1/chat/completions'
/** Small timeouts so that the timeout faults show in well under a second. */
const FAULT_ENV = {
  UPSTREAM_HEADERS_TIMEOUT_MS: '300',
  UPSTREAM_BODY_IDLE_TIMEOUT_MS: '300',
  // One retry: the fault answers every attempt, so retries must leave nothing behind either.
  UPSTREAM_RETRIES: '1',
}

/** What the leak checks watch of an upstream: the look-alike, or one made for a single fault. */
/** Lets `vi.waitFor` poll for what settles a moment after the client has its answer. */
const SETTLE = { timeout: 5000, interval: 10 }

/**
 * What a fault may leave behind, checked once the client has its whole answer:
 * - no dispatch slot held and nobody queued;
 * - no upstream request still open (every request the upstream saw was finished or aborted): that
 *   is what a leaked, busy socket would look like from the upstream's side;
 * - at most `idleSockets` connections still open, all idle keep-alive connections of the undici
 *   pool: one after an answer that ended cleanly, none after one it had to break;
 * - and closing the app closes those too (nothing outside the pool holds a socket).
 */
async function expectNothingLeftBehind(test: ProxyTestApp, idleSockets: number): Promise<void> {
  const { app, upstream } = test
  await vi.waitFor(() => {
    expect(app.dispatch.status().dispatch).toMatchObject({ inFlight: 0, queued: 0 })
  }, SETTLE)
  for (const [index] of upstream.requests.entries()) await upstream.waitForEnd(index)
  await vi.waitFor(() => expect(upstream.openSockets()).toBeLessThanOrEqual(idleSockets), SETTLE)
  // The server still serves: the fault broke one request, not the process or the pool.
  const after = await postJson(test.url, CHAT, chatBody('after the fault'))
  expect(after.status).toBe(200)
  await after.text()
  await app.close()
  await vi.waitFor(() => expect(upstream.openSockets()).toBe(0), SETTLE)
}

/** The server in front of an upstream whose first `attempts` chat calls meet `fault`. */
async function withFault(fault: Fault, attempts: number): Promise<ProxyTestApp> {
  const test = await startProxyApp(FAULT_ENV)
  test.upstream.script({ match: { path: CHAT, key: KEY_A }, fault, times: attempts })
  return test
}

/** A body read as far as it goes: the text received, and the error that cut it, if any. */
async function readUntilCut(response: Response): Promise<{ received: string; error: unknown }> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader()
  const decoder = new TextDecoder()
  let received = ''
  try {
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      received += decoder.decode(chunk.value, { stream: true })
    }
    return { received, error: undefined }
  } catch (error) {
    return { received, error }
  }
}

const sseEvents = (text: string) => text.split('\n\n').filter((block) => block !== '')

/**
 * A reset reads as ECONNRESET or, when undici sees the end of the stream first, as a closed
 * socket (UND_ERR_SOCKET): both are the same fault to the client.
 */
const BROKEN = String.raw`\((connection reset|the upstream closed the connection)\)`

const errorEnvelope = (code: string, message: unknown) => ({
  error: { code, message, type: 'server_error' },
})

/**
 * Each of the mock's faults on a real socket through the whole server: the client gets the
 * documented answer (docs/behaviour.md §3, §5), and nothing is left holding a slot or a socket.
 */
describe('upstream faults through a real socket', () => {
  it('reset before headers: retried, then 502 upstream_unreachable', async () => {
    const test = await withFault({ kind: 'reset-before-headers' }, 2)
    const response = await postJson(test.url, CHAT, chatBody())
    expect(response.status).toBe(502)
    expect(await response.json()).toEqual(
      errorEnvelope(
        'upstream_unreachable',
        expect.stringMatching(
          `^The upstream could not be reached or sent a broken answer ${BROKEN}$`,
        ),
      ),
    )
    expect(test.upstream.requests).toHaveLength(2)
    await expectNothingLeftBehind(test, 0)
  })

  it('reset mid-stream (SSE): the events so far, then a final error event', async () => {
    const test = await withFault({ kind: 'reset-mid-stream', afterEvents: 2 }, 1)
    const response = await postJson(test.url, CHAT, chatBody('cut short', { stream: true }))
    expect(response.status).toBe(200)
    const events = sseEvents(await response.text())
    expect(events).toHaveLength(3)
    expect(events.slice(0, 2).every((event) => event.includes('"chat.completion.chunk"'))).toBe(
      true,
    )
    expect(JSON.parse(events[2]?.replace(/^data: /, '') ?? '')).toEqual(
      errorEnvelope(
        'upstream_stream_error',
        expect.stringMatching(`^The upstream answer broke off ${BROKEN}$`),
      ),
    )
    // No retry once bytes reached the client.
    expect(test.upstream.requests).toHaveLength(1)
    await expectNothingLeftBehind(test, 0)
  })

  it('reset mid-stream (JSON): the body is cut, the client sees a broken answer', async () => {
    const test = await withFault({ kind: 'reset-mid-stream', afterEvents: 40 }, 1)
    const response = await postJson(test.url, CHAT, chatBody('cut short'))
    expect(response.status).toBe(200)
    await expect(response.text()).rejects.toThrow()
    expect(test.upstream.requests).toHaveLength(1)
    await expectNothingLeftBehind(test, 0)
  })

  it('hang: 504 upstream_timeout after UPSTREAM_HEADERS_TIMEOUT_MS, not retried', async () => {
    const test = await withFault({ kind: 'hang' }, 1)
    const startedAt = Date.now()
    const response = await postJson(test.url, CHAT, chatBody())
    expect(response.status).toBe(504)
    expect(await response.json()).toEqual(
      errorEnvelope(
        'upstream_timeout',
        'The upstream did not answer in time (no response headers in time)',
      ),
    )
    // Generous bound: the 300 ms timeout, not some default of minutes.
    expect(Date.now() - startedAt).toBeLessThan(5000)
    expect(test.upstream.requests).toHaveLength(1)
    await expectNothingLeftBehind(test, 0)
  })

  it('requests queued behind a hanging one are served once it times out', async () => {
    const test = await withFault({ kind: 'hang' }, 1)
    const first = postJson(test.url, CHAT, chatBody('hangs'))
    await test.upstream.waitForRequest(0)
    const queued = [1, 2, 3].map((n) => postJson(test.url, CHAT, chatBody(`queued ${n}`)))
    await vi.waitFor(() => expect(test.app.dispatch.status().dispatch.queued).toBe(3), SETTLE)
    expect((await first).status).toBe(504)
    const answers = await Promise.all(queued)
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200])
    await Promise.all(answers.map((answer) => answer.text()))
    // A slot handed straight to the next request may find the last connection not yet back in
    // the pool, so undici may open one per request: idle keep-alive connections, closed after
    // their keep-alive timeout or with the app. The hung one is gone.
    await expectNothingLeftBehind(test, 3)
  })

  it('body stall (SSE): the first event, then a final error event after the idle timeout', async () => {
    const test = await withFault({ kind: 'stall-body' }, 1)
    const response = await postJson(test.url, CHAT, chatBody('stalled', { stream: true }))
    expect(response.status).toBe(200)
    const events = sseEvents(await response.text())
    expect(events).toHaveLength(2)
    expect(events[0]).toContain('"chat.completion.chunk"')
    expect(events[1]).toBe(
      `data: ${JSON.stringify({
        error: {
          message: 'The upstream answer broke off (the answer went silent for too long)',
          type: 'server_error',
          code: 'upstream_stream_error',
        },
      })}`,
    )
    await expectNothingLeftBehind(test, 0)
  })

  it('body stall (JSON): the bytes so far, then the body is cut after the idle timeout', async () => {
    const test = await withFault({ kind: 'stall-body' }, 1)
    const startedAt = Date.now()
    const response = await postJson(test.url, CHAT, chatBody('stalled'))
    expect(response.status).toBe(200)
    const { received, error } = await readUntilCut(response)
    expect(error).toBeInstanceOf(Error)
    // Everything the upstream sent (half of a chat completion) reached the client, then the
    // answer broke off: after the idle timeout (300 ms), not at once, not after minutes.
    const sent = test.upstream.requests[0]?.responseBytes ?? 0
    expect(sent).toBeGreaterThan(0)
    expect(Buffer.byteLength(received)).toBe(sent)
    expect(received.startsWith('{')).toBe(true)
    const elapsedMs = Date.now() - startedAt
    expect(elapsedMs).toBeGreaterThanOrEqual(250)
    expect(elapsedMs).toBeLessThan(5000)
    // No retry once bytes reached the client.
    expect(test.upstream.requests).toHaveLength(1)
    await expectNothingLeftBehind(test, 0)
  })

  it('slow drip: delivered completely, byte for byte', async () => {
    const test = await startProxyApp(FAULT_ENV)
    const reference = await postJson(test.url, CHAT, chatBody('drip drop', { stream: true }))
    const expected = await reference.text()
    test.upstream.script({ match: { path: CHAT }, fault: { kind: 'slow-drip', intervalMs: 40 } })
    const response = await postJson(test.url, CHAT, chatBody('drip drop', { stream: true }))
    expect(response.status).toBe(200)
    // Ids differ per answer (`chatcmpl-mock-<n>`): compare with the numbers taken out.
    const withoutIds = (text: string) => text.replace(/mock-\d+/g, 'mock-n')
    expect(withoutIds(await response.text())).toBe(withoutIds(expected))
    expect(expected).toContain('data: [DONE]')
    await expectNothingLeftBehind(test, 1)
  })

  it('malformed SSE: passed through unchanged, the server carries on', async () => {
    const test = await startProxyApp(FAULT_ENV)
    test.upstream.script({ match: { path: CHAT }, fault: { kind: 'malformed-sse' } })
    const response = await postJson(test.url, CHAT, chatBody('garbled', { stream: true }))
    expect(response.status).toBe(200)
    expect(await response.text()).toBe(
      [
        'data: {"id":"broken","choices":[{"delta":{"content":"a"}}]}\n\n',
        'data: {not json\n\n',
        'event: odd\nnonsense line\n\n',
        'data: [DONE]\n\n',
      ].join(''),
    )
    await expectNothingLeftBehind(test, 1)
  })

  it('oversized response headers: 502 in the error envelope', async () => {
    const test = await withFault({ kind: 'oversized-headers' }, 2)
    const response = await postJson(test.url, CHAT, chatBody())
    expect(response.status).toBe(502)
    expect(await response.json()).toEqual(
      errorEnvelope(
        'upstream_unreachable',
        'The upstream could not be reached or sent a broken answer (response headers too large)',
      ),
    )
    await expectNothingLeftBehind(test, 0)
  })
})
