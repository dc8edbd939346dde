import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { type Answer, ERRORS } from './answer.js'
import { completionAnswer } from './chat.js'
import { echoOf, writeEcho } from './echo.js'
import {
  embeddingsAnswer,
  imagesAnswer,
  modelsAnswer,
  rerankAnswer,
  speechAnswer,
  transcriptionAnswer,
  userInfoAnswer,
  videoStatusAnswer,
  videoSubmitAnswer,
} from './endpoints.js'
import {
  InvariantMonitor,
  type InvariantOptions,
  type InvariantViolations,
} from './invariant-monitor.js'
import type {
  Fault,
  FaultMatch,
  MockAccount,
  RecordedRequest,
  ScriptedFault,
  UserInfoMode,
} from './types.js'
import { writeAnswer } from './write-answer.js'

export interface MockUpstreamOptions {
  /** Keys and their accounts. Unless `acceptAnyKey`, other keys get 401. */
  accounts?: Record<string, MockAccount>
  /** Accept any `sk-` key (with an empty account). Default true when no accounts are given. */
  acceptAnyKey?: boolean
  /** Pause between SSE events, ms (default 5). */
  sseIntervalMs?: number
  /**
   * Prefix every SSE event with a comment `: sent_at=<epoch ms>` taken as it is written, so a
   * benchmark can time each event's trip (default false).
   */
  stampSseEvents?: boolean
  /**
   * Keep each request in `requests` (default true). A benchmark sending many thousands turns
   * this off so the mock's memory stays flat; `waitForRequest` / `waitForEnd` then never resolve.
   */
  keepRequests?: boolean
  /**
   * Watch for egress-lane invariant breaches (see `violations()`). Off by default, and then
   * nothing is tracked.
   */
  invariants?: InvariantOptions
}

export interface MockUpstream {
  /** Origin to use as UPSTREAM_BASE_URL, e.g. `http://127.0.0.1:41234`. */
  url: string
  requests: RecordedRequest[]
  setAccount(key: string, account: MockAccount): void
  setUserInfoMode(mode: UserInfoMode): void
  /**
   * Answer the next matching request(s) with a fault instead of the normal behaviour (`echo`:
   * the request itself, as a TRACE is always answered).
   */
  script(...faults: ScriptedFault[]): void
  /** Sockets currently open to the mock (for leak checks). */
  openSockets(): number
  /** Resolves once request `index` (0-based) has been received. */
  waitForRequest(index: number): Promise<RecordedRequest>
  /** Resolves when request `index` ends: finished or aborted by the client. */
  waitForEnd(index: number): Promise<RecordedRequest>
  /**
   * Calls `listener` as each exchange ends, with `performance.now()` times (sub-millisecond,
   * unlike the epoch times of `requests`): when its body had been read and when it ended. A
   * benchmark reads the gaps between one exchange and the next. Returns the unsubscribe.
   */
  watchExchanges(listener: (exchange: ExchangeTiming) => void): () => void
  /**
   * Invariant breaches seen so far: a source over `concurrency`, a source switching keys or a key
   * moving source within `guardWindowMs`. Throws unless started with `invariants`.
   */
  violations(): InvariantViolations
  /** Forget the breaches seen so far (e.g. after a deliberate warm-up). */
  resetViolations(): void
  /** Requests received per source address (from `requests` when `invariants` is off). */
  sources(): Map<string, number>
  close(): Promise<void>
}

export interface ExchangeTiming {
  path: string
  receivedAt: number
  endedAt: number
}

function matches(match: FaultMatch | undefined, req: RecordedRequest): boolean {
  if (!match) return true
  if (match.method && match.method !== req.method) return false
  if (match.key && match.key !== req.key) return false
  if (typeof match.path === 'string' && match.path !== req.path) return false
  if (match.path instanceof RegExp && !match.path.test(req.path)) return false
  return true
}

/** `::ffff:127.0.0.2` (an IPv4 peer of a dual-stack socket) reads as `127.0.0.2`. */
function sourceAddressOf(incoming: IncomingMessage): string {
  const address = incoming.socket.remoteAddress ?? ''
  return address.startsWith('::ffff:') ? address.slice(7) : address
}

function parseJson(body: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body.toString('utf8') || '{}')
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/**
 * A SiliconFlow look-alike on a real socket (port 0), behaving as docs/upstream.md describes,
 * including its non-OpenAI error shapes, with scriptable faults for failover tests.
 */
export async function startMockUpstream(options: MockUpstreamOptions = {}): Promise<MockUpstream> {
  const accounts = new Map(Object.entries(options.accounts ?? {}))
  const acceptAnyKey = options.acceptAnyKey ?? accounts.size === 0
  const sseIntervalMs = options.sseIntervalMs ?? 5
  const { stampSseEvents = false, keepRequests = true } = options
  const monitor = options.invariants && new InvariantMonitor(options.invariants)
  const scripted: ScriptedFault[] = []
  const requests: RecordedRequest[] = []
  const sockets = new Set<Socket>()
  const waiters: { index: number; end: boolean; resolve: (r: RecordedRequest) => void }[] = []
  const exchangeListeners = new Set<(exchange: ExchangeTiming) => void>()
  let userInfoMode: UserInfoMode = 'ok'
  let counter = 0
  /** Requests received in all (`requests.length` too, unless they are not kept). */
  let received = 0

  const notify = () => {
    for (const waiter of [...waiters]) {
      const req = requests[waiter.index]
      if (!req) continue
      if (waiter.end && req.finishedAt === undefined && req.abortedAt === undefined) continue
      waiters.splice(waiters.indexOf(waiter), 1)
      waiter.resolve(req)
    }
  }

  const takeFault = (req: RecordedRequest): Fault | undefined => {
    const entry = scripted.find((s) => matches(s.match, req))
    if (!entry) return undefined
    entry.times = (entry.times ?? 1) - 1
    if (entry.times <= 0) scripted.splice(scripted.indexOf(entry), 1)
    return entry.fault
  }

  function route(req: RecordedRequest, url: URL): Answer | 'hang' {
    if (req.key === undefined) return ERRORS.missingKey()
    const account = accounts.get(req.key)
    if (!account && !(acceptAnyKey && req.key.startsWith('sk-'))) return ERRORS.invalidKey()
    const id = `mock-${++counter}`
    const body = () => parseJson(req.body)
    const withJson = (handler: (json: Record<string, unknown>) => Answer) => {
      const json = body()
      return json ? handler(json) : ERRORS.badRequest('Invalid JSON body')
    }
    switch (`${req.method} ${req.path}`) {
      case 'GET /v1/user/info':
        return userInfoAnswer(userInfoMode, account ?? {})
      case 'GET /v1/models':
        return modelsAnswer(url.searchParams)
      case 'POST /v1/chat/completions':
        return withJson((json) => completionAnswer(json, 'chat', `chatcmpl-${id}`))
      case 'POST /v1/completions':
        return withJson((json) => completionAnswer(json, 'text', `cmpl-${id}`))
      case 'POST /v1/embeddings':
        return withJson(embeddingsAnswer)
      case 'POST /v1/rerank':
        return withJson(rerankAnswer)
      case 'POST /v1/images/generations':
        return withJson(imagesAnswer)
      case 'POST /v1/audio/speech':
        return withJson(speechAnswer)
      case 'POST /v1/audio/transcriptions':
        return transcriptionAnswer(String(req.headers['content-type'] ?? ''), req.body)
      case 'POST /v1/video/submit':
        return withJson(videoSubmitAnswer)
      case 'POST /v1/video/status':
        return withJson(videoStatusAnswer)
      default:
        return ERRORS.notFound()
    }
  }

  async function handle(incoming: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    const url = new URL(incoming.url ?? '/', 'http://mock.invalid')
    const auth = incoming.headers.authorization
    const req: RecordedRequest = {
      method: incoming.method ?? 'GET',
      url: incoming.url ?? '/',
      path: url.pathname,
      headers: incoming.headers,
      sourceAddress: sourceAddressOf(incoming),
      key: auth?.startsWith('Bearer ') ? auth.slice(7) : undefined,
      body: Buffer.alloc(0),
      receivedAt: Date.now(),
      abortedAt: undefined,
      finishedAt: undefined,
      responseBytes: 0,
    }
    // Counted on arrival, before the body: a lane breaks the rules when it sends, not when done.
    const ended = monitor?.requestStarted(req.sourceAddress, req.key)
    res.on('close', () => {
      ended?.()
      if (res.writableFinished) req.finishedAt ??= Date.now()
      else req.abortedAt ??= Date.now()
      notify()
    })
    for await (const chunk of incoming) chunks.push(chunk as Buffer)
    req.body = Buffer.concat(chunks)
    if (exchangeListeners.size > 0) {
      const receivedAt = performance.now()
      res.once('close', () => {
        const exchange = { path: req.path, receivedAt, endedAt: performance.now() }
        for (const listener of exchangeListeners) listener(exchange)
      })
    }
    received += 1
    if (keepRequests) requests.push(req)
    notify()
    res.setHeader('x-siliconcloud-trace-id', `trace-${received}`)
    const fault = takeFault(req)
    const countBytes = (bytes: number) => {
      req.responseBytes += bytes
    }
    // TRACE is echoed as RFC 9110 says (unless a fault is scripted for it), key or no key; the
    // `echo` fault does the same for any request.
    if (fault?.kind === 'echo' || (fault === undefined && req.method === 'TRACE')) {
      writeEcho(res, echoOf(incoming, req.body), countBytes)
      return
    }
    const answer = route(req, url)
    await writeAnswer(res, answer, fault, sseIntervalMs, countBytes, stampSseEvents)
  }

  const server = createServer((incoming, res) => {
    handle(incoming, res).catch(() => res.destroy())
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setAccount: (key, account) => accounts.set(key, account),
    setUserInfoMode: (mode) => {
      userInfoMode = mode
    },
    script: (...faults) => scripted.push(...faults),
    openSockets: () => sockets.size,
    watchExchanges(listener) {
      exchangeListeners.add(listener)
      return () => exchangeListeners.delete(listener)
    },
    waitForRequest: (index) =>
      new Promise((resolve) => {
        waiters.push({ index, end: false, resolve })
        notify()
      }),
    waitForEnd: (index) =>
      new Promise((resolve) => {
        waiters.push({ index, end: true, resolve })
        notify()
      }),
    violations() {
      if (!monitor) throw new Error('startMockUpstream({ invariants }) turns violations() on')
      return monitor.violations()
    },
    resetViolations: () => monitor?.resetViolations(),
    sources() {
      if (monitor) return monitor.sources()
      const counts = new Map<string, number>()
      for (const { sourceAddress } of requests) {
        counts.set(sourceAddress, (counts.get(sourceAddress) ?? 0) + 1)
      }
      return counts
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
