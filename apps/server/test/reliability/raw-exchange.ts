import { connect } from 'node:net'

export interface RawExchangeRequest {
  /** Written as it is: any token, or none Node would accept. */
  method: string
  /** Request target (path and query), written as it is but for white space. */
  target: string
  headers: Record<string, string>
  body?: string | Buffer
  /** The client's side of the socket (a loopback address); the system's choice unless given. */
  localAddress?: string
}

export interface RawExchange {
  /** Every byte the server sent: interim heads, the final head, the body as framed. */
  raw: Buffer
  /** Status of the final answer; NaN when the server closed the connection without one. */
  status: number
  /** The final answer's body with chunked framing removed (as framed if it cannot be). */
  body: Buffer
}

const HEAD_END = Buffer.from('\r\n\r\n')

/** CR and LF would end a header early and start another one the property did not generate. */
const oneLine = (text: string) => text.replace(/[\r\n]/g, ' ')

/**
 * Send a request over a fresh socket exactly as given (`Connection: close`, header values as
 * UTF-8 bytes, which no HTTP client lets through) and read everything until the server closes
 * the connection. Rejects after `timeoutMs` (a hung answer is a finding too).
 */
export function rawExchange(
  port: number,
  request: RawExchangeRequest,
  timeoutMs = 5000,
): Promise<RawExchange> {
  const body =
    request.body === undefined ? Buffer.alloc(0) : Buffer.from(request.body as string | Buffer)
  const lines = [
    `${request.method} ${request.target.replace(/\s/g, '%20')} HTTP/1.1`,
    `host: 127.0.0.1:${port}`,
    'connection: close',
    ...Object.entries(request.headers).map(([name, value]) => `${name}: ${oneLine(value)}`),
    ...(request.body === undefined ? [] : [`content-length: ${body.length}`]),
  ]
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      ...(request.localAddress === undefined ? {} : { localAddress: request.localAddress }),
    })
    const chunks: Buffer[] = []
    const timer = setTimeout(() => {
      socket.destroy()
      const seen = Buffer.concat(chunks).subarray(0, 300).toString('latin1')
      reject(new Error(`no end of the answer within ${timeoutMs} ms (got ${JSON.stringify(seen)})`))
    }, timeoutMs)
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    // The server may cut a request it refuses before reading all of it: what came back counts.
    socket.on('error', () => {})
    socket.on('close', () => {
      clearTimeout(timer)
      const raw = Buffer.concat(chunks)
      resolve({ raw, ...finalAnswer(raw) })
    })
    // Written, not ended: a half-closed connection may be closed by the server before it answers.
    socket.write(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8'), body]))
  })
}

/** The final answer in `raw` (interim 1xx heads skipped): its status and unframed body. */
function finalAnswer(raw: Buffer): { status: number; body: Buffer } {
  let rest = raw
  for (let end = rest.indexOf(HEAD_END); end >= 0; end = rest.indexOf(HEAD_END)) {
    const head = rest.subarray(0, end).toString('latin1')
    rest = rest.subarray(end + HEAD_END.length)
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? Number.NaN)
    if (status >= 100 && status < 200) continue
    const chunked = /\r\ntransfer-encoding:\s*chunked/i.test(head)
    return { status, body: chunked ? unchunked(rest) : rest }
  }
  return { status: Number.NaN, body: Buffer.alloc(0) }
}

/** A chunked body without its framing; what is left as it is when the framing is broken. */
function unchunked(framed: Buffer): Buffer {
  const parts: Buffer[] = []
  let at = 0
  while (at < framed.length) {
    const lineEnd = framed.indexOf('\r\n', at)
    if (lineEnd < 0) break
    const size = Number.parseInt(framed.subarray(at, lineEnd).toString('latin1'), 16)
    if (!Number.isFinite(size)) break
    if (size === 0) return Buffer.concat(parts)
    parts.push(framed.subarray(lineEnd + 2, lineEnd + 2 + size))
    at = lineEnd + 2 + size + 2
  }
  return Buffer.concat([...parts, framed.subarray(at)])
}
