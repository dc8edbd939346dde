import { connect, type Socket } from 'node:net'

/** One HTTP/1.1 answer read off a raw socket. */
export interface RawAnswer {
  status: number
  /** Lower-case names; a repeated header keeps its last value. */
  headers: Map<string, string>
  /** The body, framed by Content-Length or chunked. */
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

/** A chunked body at the start of `text`: the body and the length it took, or null if unfinished. */
function readChunked(text: string): { body: string; length: number } | null {
  let at = 0
  let body = ''
  for (;;) {
    const lineEnd = text.indexOf('\r\n', at)
    if (lineEnd < 0) return null
    const size = Number.parseInt(text.slice(at, lineEnd).split(';')[0] ?? '', 16)
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

/** The complete answers at the start of `text`; an unfinished one is left out. */
export function parseAnswers(text: string): RawAnswer[] {
  const answers: RawAnswer[] = []
  let rest = text
  for (let end = rest.indexOf(HEAD_END); end >= 0; end = rest.indexOf(HEAD_END)) {
    const [statusLine = '', ...lines] = rest.slice(0, end).split('\r\n')
    const headers = new Map<string, string>()
    for (const line of lines) {
      const colon = line.indexOf(':')
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim())
    }
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? Number.NaN)
    const bodyStart = end + HEAD_END.length
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
}

export async function openRaw(port: number): Promise<RawConnection> {
  const socket = connect(port, '127.0.0.1')
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
  }
}

/**
 * Send `request` on a fresh connection and wait for the server to close it (at most `ms`):
 * what a malformed request gets.
 */
export async function exchange(port: number, request: string, ms = 5000): Promise<RawExchange> {
  const connection = await openRaw(port)
  connection.write(request)
  const result = await connection.closedWithin(ms)
  connection.socket.destroy()
  return result
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
