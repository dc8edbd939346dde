import { connect, type Socket } from 'node:net'

/**
 * HTTP/1.1 over a raw socket, for what no HTTP client sends or waits for: malformed or hostile
 * requests written byte for byte, bodies that stop arriving, answers read as the server framed
 * them, connections watched until the server closes them.
 */

/** A request to write as it is: any method token, header values as UTF-8 bytes. */
export interface RawRequest {
  method: string
  /** Path and query, written as they are but for white space. */
  target: string
  headers: Record<string, string>
  /** Sent with its Content-Length. */
  body?: string | Buffer
}

/** One HTTP/1.1 answer read off a raw socket (interim 1xx heads are not answers). */
export interface RawAnswer {
  status: number
  /** Lower-case names; a repeated header keeps its last value. */
  headers: Map<string, string>
  /** The body, framed by Content-Length or chunked (unframed here). */
  body: string
}

/** Everything a raw connection saw, up to its close or the wait's end. */
export interface RawExchange {
  /** Every byte received, as latin1 text. */
  received: string
  /** Answers in `received`, in order (complete ones only). */
  answers: RawAnswer[]
  /** True once the server closed the connection (FIN or reset). */
  closed: boolean
  /** Milliseconds from the last write to the close, when it closed. */
  closedAfterMs: number | undefined
  /** A socket error the client saw (ECONNRESET...), if any. */
  error: string | undefined
}

const HEAD_END = '\r\n\r\n'

/** CR and LF would end a header early and start another one the test did not mean. */
const oneLine = (text: string) => text.replace(/[\r\n]/g, ' ')

/**
 * The bytes of `request` to a server on `port`: `host` first, then `connection: close` when asked
 * (before the request's own headers, which may say otherwise), and a Content-Length for a body.
 */
export function requestBytes(port: number, request: RawRequest, close = false): Buffer {
  const body =
    request.body === undefined ? Buffer.alloc(0) : Buffer.from(request.body as string | Buffer)
  const lines = [
    `${request.method} ${request.target.replace(/\s/g, '%20')} HTTP/1.1`,
    `host: 127.0.0.1:${port}`,
    ...(close ? ['connection: close'] : []),
    ...Object.entries(request.headers).map(([name, value]) => `${name}: ${oneLine(value)}`),
    ...(request.body === undefined ? [] : [`content-length: ${body.length}`]),
  ]
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8'), body])
}

/** A chunked body at the start of `text`: the body and the length it took, or null if unfinished. */
function readChunked(text: string): { body: string; length: number } | null {
  let at = 0
  let body = ''
  for (;;) {
    const lineEnd = text.indexOf('\r\n', at)
    if (lineEnd < 0) return null
    const size = Number.parseInt(text.slice(at, lineEnd).split(';')[0] ?? '', 16)
    if (!Number.isFinite(size)) return null
    const dataStart = lineEnd + 2
    if (size === 0) {
      // No trailers in these answers: the last chunk, then an empty line.
      return text.length < dataStart + 2 ? null : { body, length: dataStart + 2 }
    }
    if (text.length < dataStart + size + 2) return null
    body += text.slice(dataStart, dataStart + size)
    at = dataStart + size + 2
  }
}

/** The head at the start of `text`, and where its body starts; null while it is unfinished. */
function readHead(text: string): (Omit<RawAnswer, 'body'> & { bodyStart: number }) | null {
  const end = text.indexOf(HEAD_END)
  if (end < 0) return null
  const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n')
  const headers = new Map<string, string>()
  for (const line of lines) {
    const colon = line.indexOf(':')
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim())
  }
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? Number.NaN)
  return { status, headers, bodyStart: end + HEAD_END.length }
}

const isInterim = (status: number) => status >= 100 && status < 200

/** The complete answers at the start of `text`, interim 1xx heads skipped; an unfinished one is left out. */
export function parseAnswers(text: string): RawAnswer[] {
  const answers: RawAnswer[] = []
  let rest = text
  for (let head = readHead(rest); head !== null; head = readHead(rest)) {
    const { status, headers, bodyStart } = head
    if (isInterim(status)) {
      rest = rest.slice(bodyStart)
      continue
    }
    if (headers.get('transfer-encoding') === 'chunked') {
      const chunked = readChunked(rest.slice(bodyStart))
      if (chunked === null) break
      answers.push({ status, headers, body: chunked.body })
      rest = rest.slice(bodyStart + chunked.length)
      continue
    }
    const length = Number(headers.get('content-length') ?? 0)
    if (rest.length < bodyStart + length) break
    answers.push({ status, headers, body: rest.slice(bodyStart, bodyStart + length) })
    rest = rest.slice(bodyStart + length)
  }
  return answers
}

/** The head of the first answer in `text` that is not an interim 1xx, once it is whole. */
function firstFinalHead(text: string): Omit<RawAnswer, 'body'> | null {
  let rest = text
  for (let head = readHead(rest); head !== null; head = readHead(rest)) {
    if (!isInterim(head.status)) return { status: head.status, headers: head.headers }
    rest = rest.slice(head.bodyStart)
  }
  return null
}

/** A connected raw socket that records what it receives. */
export interface RawConnection {
  socket: Socket
  /** Write bytes (latin1 text, or a Buffer) as they are. */
  write(data: string | Buffer): void
  /** What was received so far. */
  snapshot(): RawExchange
  /** Resolves once the server closed the connection, or after `ms` (then `closed` is false). */
  closedWithin(ms: number): Promise<RawExchange>
  /** Resolves once `count` complete answers arrived (or the connection closed, or `ms` passed). */
  answersWithin(count: number, ms: number): Promise<RawExchange>
  /**
   * Resolves with the head of the first answer as soon as it arrived, before its body (an event
   * stream never ends on its own); rejects when the connection closed, or `ms` passed, without it.
   */
  headWithin(ms: number): Promise<Omit<RawAnswer, 'body'>>
}

/** A raw connection to 127.0.0.1:`port`, from `localAddress` (a loopback address) when given. */
export async function openRaw(
  port: number,
  options: { localAddress?: string | undefined } = {},
): Promise<RawConnection> {
  const { localAddress } = options
  const socket = connect({ host: '127.0.0.1', port, ...(localAddress ? { localAddress } : {}) })
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve())
    socket.once('error', reject)
  })
  let received = ''
  let closed = false
  let closedAt: number | undefined
  let lastWriteAt = Date.now()
  let error: string | undefined
  const waiters = new Set<() => void>()
  const notify = () => {
    for (const waiter of waiters) waiter()
  }
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1')
    notify()
  })
  // The server may cut a request it refuses before reading all of it: what came back counts.
  socket.on('error', (caught: NodeJS.ErrnoException) => {
    error = caught.code ?? caught.message
  })
  socket.on('close', () => {
    closed = true
    closedAt = Date.now()
    notify()
  })
  const snapshot = (): RawExchange => ({
    received,
    answers: parseAnswers(received),
    closed,
    closedAfterMs: closedAt === undefined ? undefined : closedAt - lastWriteAt,
    error,
  })
  const until = (done: () => boolean, ms: number) =>
    new Promise<RawExchange>((resolve) => {
      const check = () => {
        if (!done()) return
        finish()
      }
      const finish = () => {
        clearTimeout(timer)
        waiters.delete(check)
        resolve(snapshot())
      }
      const timer = setTimeout(finish, ms)
      waiters.add(check)
      check()
    })
  return {
    socket,
    write(data) {
      lastWriteAt = Date.now()
      if (!socket.destroyed)
        socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data)
    },
    snapshot,
    closedWithin: (ms) => until(() => closed, ms),
    answersWithin: (count, ms) => until(() => closed || parseAnswers(received).length >= count, ms),
    async headWithin(ms) {
      await until(() => closed || firstFinalHead(received) !== null, ms)
      const head = firstFinalHead(received)
      if (head !== null) return head
      const seen = JSON.stringify(received.slice(0, 300))
      throw new Error(
        `no answer ${closed ? 'before the server closed' : `within ${ms} ms`} (got ${seen})`,
      )
    },
  }
}

/**
 * Send `request` on a fresh connection, from `localAddress` when given, and wait for the server
 * to close it (at most `ms`): bytes as they are (what a malformed request gets), or a
 * `RawRequest` with `connection: close`.
 */
export async function exchange(
  port: number,
  request: string | Buffer | RawRequest,
  options: { ms?: number; localAddress?: string | undefined } = {},
): Promise<RawExchange> {
  const connection = await openRaw(port, options)
  const bytes =
    typeof request === 'string' || Buffer.isBuffer(request)
      ? request
      : requestBytes(port, request, true)
  // Written, not ended: a half-closed connection may be closed by the server before it answers.
  connection.write(bytes)
  const result = await connection.closedWithin(options.ms ?? 5000)
  connection.socket.destroy()
  return result
}

/**
 * Send `request` on a fresh connection and resolve with the head of its answer (the connection
 * is destroyed then). Rejects when the server closes the connection without an answer.
 */
export async function responseHead(
  port: number,
  request: RawRequest,
  options: { ms?: number; localAddress?: string | undefined } = {},
): Promise<Omit<RawAnswer, 'body'>> {
  const connection = await openRaw(port, options)
  connection.write(requestBytes(port, request))
  try {
    return await connection.headWithin(options.ms ?? 5000)
  } finally {
    connection.socket.destroy()
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
