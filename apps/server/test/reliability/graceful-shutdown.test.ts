import { connect, type Socket } from 'node:net'
import type { StatusView } from '@sfp/schemas'
import { describe, expect, it, vi } from 'vitest'
import { chatBody } from '../helpers/proxy-app.js'
import { TEST_CLIENT_KEY } from '../helpers/test-app.js'
import {
  adminFetch,
  CHILD_UPSTREAM_KEY,
  type ChildServer,
  proxyRequest,
  startChildServer,
  startUpstream,
} from './child-server.js'
import { openRaw, type RawConnection } from './raw-http.js'

const CHAT = '/v1/chat/completions'
const WAIT = { timeout: 10_000, interval: 20 }

async function withUpstreamKey(server: ChildServer): Promise<void> {
  const added = await adminFetch(server.url, '/api-keys', {
    method: 'POST',
    body: JSON.stringify({ api_key: CHILD_UPSTREAM_KEY }),
  })
  expect(added.status).toBe(201)
}

async function dispatchStatus(server: ChildServer): Promise<StatusView['dispatch']> {
  const response = await adminFetch(server.url, '/status')
  return ((await response.json()) as StatusView).dispatch
}

/**
 * A request that has started on a connection opened before the shutdown: its first line is sent
 * now, the rest by `finish()`. Node counts such a connection as busy, so the server keeps it
 * open while it drains, and the request is read in full during the shutdown.
 */
async function startedRequest(url: string): Promise<{ finish(): Promise<string> }> {
  const { port } = new URL(url)
  const socket: Socket = connect(Number(port), '127.0.0.1')
  await new Promise((resolve) => socket.once('connect', resolve))
  socket.write(`POST ${CHAT} HTTP/1.1\r\n`)
  let received = ''
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => {
    received += chunk
  })
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  return {
    async finish() {
      const body = JSON.stringify(chatBody('too late'))
      socket.write(
        `host: 127.0.0.1:${port}\r\nauthorization: Bearer ${TEST_CLIENT_KEY}\r\n` +
          `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      )
      await closed
      return received
    },
  }
}

/** The status and JSON body of a raw HTTP/1.1 answer (content-length framed). */
function parseRawAnswer(raw: string): { status: number; headers: string; body: unknown } {
  const [head = '', body = ''] = raw.split('\r\n\r\n')
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1])
  return { status, headers: head.toLowerCase(), body: JSON.parse(body) }
}

/** Resolves once a new TCP connection to `url` is established (and closes it). */
function newConnection(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(new URL(url).port), '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve()
    })
    socket.once('error', reject)
  })
}

/** A keep-alive connection that has had one request answered and now idles. */
async function idleKeptAlive(url: string): Promise<RawConnection> {
  const connection = await openRaw(Number(new URL(url).port))
  connection.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
  const first = await connection.answersWithin(1, 10_000)
  expect(first.answers.map((answer) => answer.status)).toEqual([200])
  expect(first.answers[0]?.headers.get('connection')).toBe('keep-alive')
  return connection
}

const shuttingDown = {
  error: {
    code: 'shutting_down',
    type: 'server_error',
    message: expect.any(String),
    explanation: { code: 'shutting_down', params: {} },
  },
}

/**
 * SIGTERM to the real process while SSE answers are streaming from a slow upstream (README:
 * SHUTDOWN_GRACE_SECONDS): what is in flight finishes, what waits or arrives late is refused
 * with 503 shutting_down, and the process exits 0, also when a stream outlasts the grace period.
 * Idle keep-alive connections never hold the exit: they stay (a request on one is answered 503
 * with `Connection: close`) only while something is in flight, and close as soon as nothing is.
 */
describe('graceful shutdown of the server process', { timeout: 60_000 }, () => {
  it('lets streams in flight finish, refuses queued and late requests with 503, exits 0', async ({
    annotate,
  }) => {
    const upstream = await startUpstream()
    const server = await startChildServer(upstream, {
      DISPATCH_CONCURRENCY: '2',
      SHUTDOWN_GRACE_SECONDS: '20',
    })
    await withUpstreamKey(server)
    // Two streams of 10 events, 150 ms apart: still running when the SIGTERM comes.
    upstream.script({
      match: { path: CHAT },
      fault: { kind: 'slow-drip', intervalMs: 150 },
      times: 2,
    })
    const streams = [1, 2].map((n) =>
      proxyRequest(server.url, chatBody(`stream ${n} a b c`, { stream: true })),
    )
    await upstream.waitForRequest(1)
    // Two more wait for a slot behind them.
    const queued = [1, 2].map((n) => proxyRequest(server.url, chatBody(`queued ${n}`)))
    await vi.waitFor(async () => expect((await dispatchStatus(server)).queued).toBe(2), WAIT)
    const late = await startedRequest(server.url)

    const signalledAt = Date.now()
    server.process.child.kill('SIGTERM')
    await server.process.waitForLine(/"msg":"shutting down"/)

    for (const answer of await Promise.all(queued)) {
      expect(answer.status).toBe(503)
      expect(JSON.parse(answer.body)).toEqual(shuttingDown)
    }
    const lateAnswer = parseRawAnswer(await late.finish())
    expect(lateAnswer.status).toBe(503)
    expect(lateAnswer.headers).toContain('connection: close')
    expect(lateAnswer.body).toEqual(shuttingDown)
    // A new connection is not accepted at all: the listening socket is closed. (fetch would
    // reuse an idle pooled connection, which is answered 503 while the streams run.)
    await expect(newConnection(server.url)).rejects.toMatchObject({ code: 'ECONNREFUSED' })

    const finished = await Promise.all(streams)
    for (const stream of finished) {
      expect(stream).toMatchObject({ status: 200, complete: true })
      expect(stream.body).toContain('data: [DONE]')
      expect(stream.body).not.toContain('"error"')
      expect(stream.endedAt - signalledAt).toBeLessThan(20_000)
    }
    expect(await server.process.exited).toEqual({ code: 0, signal: null })
    const streamsDoneAfterMs = Math.max(...finished.map((stream) => stream.endedAt)) - signalledAt
    await annotate(
      `streams done ${streamsDoneAfterMs} ms, exit ${Date.now() - signalledAt} ms after SIGTERM`,
    )
    expect(server.process.lines.some((line) => line.includes('"msg":"shut down cleanly"'))).toBe(
      true,
    )
    // The upstream saw both streams through to their end; the queued ones never went out.
    expect(upstream.requests.filter((request) => request.path === CHAT)).toHaveLength(2)
    expect(upstream.requests.every((request) => request.finishedAt !== undefined)).toBe(true)
  })

  it('cuts a stream that outlasts SHUTDOWN_GRACE_SECONDS at the grace period and still exits', async ({
    annotate,
  }) => {
    const upstream = await startUpstream()
    const server = await startChildServer(upstream, { SHUTDOWN_GRACE_SECONDS: '1' })
    await withUpstreamKey(server)
    // 10 events 600 ms apart: about 6 s, six times the grace period.
    upstream.script({ match: { path: CHAT }, fault: { kind: 'slow-drip', intervalMs: 600 } })
    const stream = proxyRequest(server.url, chatBody('a long answer', { stream: true }))
    await upstream.waitForRequest(0)

    const signalledAt = Date.now()
    server.process.child.kill('SIGTERM')
    const cut = await stream
    expect(cut).toMatchObject({ status: 200, complete: false })
    expect(cut.body).not.toContain('data: [DONE]')
    const cutAfterMs = cut.endedAt - signalledAt
    // Cut at the grace period (1 s): not before it, and long before the natural end (about 6 s).
    expect(cutAfterMs).toBeGreaterThanOrEqual(900)
    expect(cutAfterMs).toBeLessThan(4500)
    expect(await server.process.exited).toEqual({ code: 0, signal: null })
    await annotate(`cut ${cutAfterMs} ms, exit ${Date.now() - signalledAt} ms after SIGTERM`)
    expect(server.process.lines.some((line) => line.includes('grace period over'))).toBe(true)
    // The upstream request was aborted with the client's connection, not left running.
    expect((await upstream.waitForEnd(0)).abortedAt).toBeDefined()
  })

  it('answers 503 shutting_down with Connection: close on connections that idled at SIGTERM while a stream runs', async () => {
    const upstream = await startUpstream()
    const server = await startChildServer(upstream, { SHUTDOWN_GRACE_SECONDS: '20' })
    await withUpstreamKey(server)
    // 10 events 300 ms apart: about 3 s, still running while the late requests come.
    upstream.script({ match: { path: CHAT }, fault: { kind: 'slow-drip', intervalMs: 300 } })
    const stream = proxyRequest(server.url, chatBody('a long answer', { stream: true }))
    await upstream.waitForRequest(0)
    // One connection idle after a request, one that has not sent a byte yet.
    const used = await idleKeptAlive(server.url)
    const fresh = await openRaw(Number(new URL(server.url).port))

    server.process.child.kill('SIGTERM')
    await server.process.waitForLine(/"msg":"shutting down"/)
    // Neither was closed under the client: each gets its answer, then the connection closes.
    for (const connection of [used, fresh]) {
      const before = connection.snapshot().answers.length
      expect(connection.snapshot().closed).toBe(false)
      connection.write(
        `POST ${CHAT} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TEST_CLIENT_KEY}\r\n` +
          'Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}',
      )
      const result = await connection.closedWithin(10_000)
      const late = result.answers[before]
      expect(late?.status, result.received).toBe(503)
      expect(late?.headers.get('connection')).toBe('close')
      expect(JSON.parse(late?.body ?? '')).toEqual(shuttingDown)
      expect(result.closed).toBe(true)
    }
    expect(await stream).toMatchObject({ status: 200, complete: true })
    expect(await server.process.exited).toEqual({ code: 0, signal: null })
    expect(upstream.requests.filter((request) => request.path === CHAT)).toHaveLength(1)
  })

  it('exits at once when nothing is in flight, idle keep-alive connections or not', async ({
    annotate,
  }) => {
    const upstream = await startUpstream()
    const server = await startChildServer(upstream, { SHUTDOWN_GRACE_SECONDS: '30' })
    const used = await idleKeptAlive(server.url)
    const fresh = await openRaw(Number(new URL(server.url).port))

    const signalledAt = Date.now()
    server.process.child.kill('SIGTERM')
    expect(await server.process.exited).toEqual({ code: 0, signal: null })
    const exitMs = Date.now() - signalledAt
    await annotate(`exit ${exitMs} ms after SIGTERM`)
    // About a second, on a busy machine several: not the 30 s grace period.
    expect(exitMs).toBeLessThan(8000)
    expect(server.process.lines.some((line) => line.includes('grace period over'))).toBe(false)
    expect((await used.closedWithin(1000)).closed).toBe(true)
    expect((await fresh.closedWithin(1000)).closed).toBe(true)
  })
})
