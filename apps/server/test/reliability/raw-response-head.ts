import { connect } from 'node:net'

export interface RawRequest {
  method: string
  /** Path and query, written as they are. */
  target: string
  headers: Record<string, string>
  /** The client's side of the socket (a loopback address); the system's choice unless given. */
  localAddress?: string
}

export interface ResponseHead {
  status: number
  /** Header names in lower case. */
  headers: Map<string, string>
}

const HEAD_END = Buffer.from('\r\n\r\n')

/** CR and LF would end a header early and start another one the property did not generate. */
const oneLine = (text: string) => text.replace(/[\r\n]/g, ' ')

/**
 * Send a request over a fresh socket exactly as given, header values as UTF-8 bytes (which no
 * HTTP client lets through), and resolve with the head of the final answer (interim 1xx heads
 * skipped). The socket is destroyed then: an event stream, which never ends on its own, is left
 * once its head arrived. Rejects when the server closes the connection without an answer.
 */
export function readResponseHead(port: number, request: RawRequest): Promise<ResponseHead> {
  const lines = [
    `${request.method} ${request.target.replace(/[\s]/g, '%20')} HTTP/1.1`,
    `host: 127.0.0.1:${port}`,
    ...Object.entries(request.headers).map(([name, value]) => `${name}: ${oneLine(value)}`),
  ]
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      ...(request.localAddress === undefined ? {} : { localAddress: request.localAddress }),
    })
    let received = Buffer.alloc(0)
    const settle = (outcome: () => void) => {
      socket.destroy()
      outcome()
    }
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk])
      for (let end = received.indexOf(HEAD_END); end >= 0; end = received.indexOf(HEAD_END)) {
        const [statusLine = '', ...headerLines] = received
          .subarray(0, end)
          .toString('latin1')
          .split('\r\n')
        received = received.subarray(end + HEAD_END.length)
        const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? Number.NaN)
        if (status >= 100 && status < 200) continue
        const headers = new Map(
          headerLines.map((line) => {
            const colon = line.indexOf(':')
            return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()] as const
          }),
        )
        settle(() => resolve({ status, headers }))
        return
      }
    })
    socket.on('error', (error) => settle(() => reject(error)))
    socket.on('close', () =>
      reject(new Error('the server closed the connection without an answer')),
    )
    // Written, not ended: a half-closed connection may be closed by the server before it answers.
    socket.write(Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8'))
  })
}
