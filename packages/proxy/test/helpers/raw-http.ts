import { connect, type Socket } from 'node:net'

/** An answer read off a raw socket. */
export interface RawAnswer {
  status: number
  /** Header names in lower case. */
  headers: Record<string, string>
  body: string
  /** ms from the last byte written to the first byte of the answer. */
  answeredAfterMs: number
  /** The server closed the connection after answering (within `closeWithinMs`). */
  closed: boolean
}

/**
 * A client on a raw socket, for what an HTTP client library would not do: send the head and part
 * of a body, then nothing (`write` as often as needed), and read whatever comes back.
 */
export class RawClient {
  readonly socket: Socket
  #chunks: Buffer[] = []
  #lastWriteAt = Date.now()
  #firstByteAt: number | null = null
  #closed: Promise<void>

  constructor(url: string) {
    const { hostname, port } = new URL(url)
    this.socket = connect({ host: hostname, port: Number(port) })
    this.socket.on('data', (chunk: Buffer) => {
      this.#firstByteAt ??= Date.now()
      this.#chunks.push(chunk)
    })
    this.socket.on('error', () => {})
    this.#closed = new Promise((resolve) => this.socket.once('close', () => resolve()))
  }

  /** Write and wait until the bytes are handed to the kernel. */
  write(data: string | Buffer): Promise<void> {
    this.#lastWriteAt = Date.now()
    return new Promise((resolve, reject) =>
      this.socket.write(data, (error) => (error ? reject(error) : resolve())),
    )
  }

  /** The answer, once the server closed the connection or `closeWithinMs` after its first byte. */
  async answer(closeWithinMs = 2000): Promise<RawAnswer> {
    let closed = false
    await Promise.race([
      this.#closed.then(() => {
        closed = true
      }),
      this.#firstByte().then(() => new Promise((resolve) => setTimeout(resolve, closeWithinMs))),
    ])
    this.socket.destroy()
    const text = Buffer.concat(this.#chunks).toString('latin1')
    const [head = '', ...rest] = text.split('\r\n\r\n')
    const [statusLine = '', ...lines] = head.split('\r\n')
    const headers: Record<string, string> = {}
    for (const line of lines) {
      const colon = line.indexOf(':')
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
    }
    return {
      status: Number(statusLine.split(' ')[1]),
      headers,
      body: rest.join('\r\n\r\n'),
      answeredAfterMs: (this.#firstByteAt ?? Date.now()) - this.#lastWriteAt,
      closed,
    }
  }

  async #firstByte(): Promise<void> {
    const giveUpAt = Date.now() + 10_000
    while (this.#firstByteAt === null && !this.socket.destroyed && Date.now() < giveUpAt) {
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  }
}

/** The head of a request, CRLF-terminated, with the given headers. */
export function rawHead(method: string, path: string, headers: Record<string, string>): string {
  const lines = Object.entries({ host: 'localhost', ...headers }).map(([k, v]) => `${k}: ${v}`)
  return `${method} ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`
}
