import type { ServerResponse } from 'node:http'
import type { Readable } from 'node:stream'
import { finished } from 'node:stream'
import type { FastifyBaseLogger } from 'fastify'
import { isReadable, type ProxyReply } from './types.js'

type HeaderValue = string | string[]

export interface RawReplyHooks {
  /** The request's logger: a stream that fails once its answer has begun is logged here. */
  log: FastifyBaseLogger
  /** Just before the head is written: the server's rules for every answer (the connection). */
  beforeHead(reply: RawReply): void
  /** `send(error)`: the error answered in the envelope, as the routes' error handler would. */
  onError(error: Error, reply: RawReply): void
}

const JSON_TYPE = 'application/json; charset=utf-8'
const OCTET_TYPE = 'application/octet-stream'
const TEXT_TYPE = 'text/plain; charset=utf-8'

/**
 * A `ProxyReply` written straight to Node's response, for the requests the server's front door
 * takes before Fastify (apps/server/src/http/front-door.ts). `send` means what Fastify's does for
 * the payloads the proxy sends: bytes or a string with their length, a stream piped (its head
 * written with its first bytes, the stream destroyed if the client goes), an object as JSON (the
 * error envelope), an error handed to `onError`. Headers are kept here, names in lower case,
 * until the head is written, so that the server's rules can still read and change them.
 */
export class RawReply implements ProxyReply {
  statusCode = 200
  readonly #headers: Record<string, HeaderValue>
  #sent = false

  constructor(
    readonly raw: ServerResponse,
    headers: Record<string, HeaderValue>,
    private readonly hooks: RawReplyHooks,
  ) {
    this.#headers = headers
  }

  get sent(): boolean {
    return this.#sent || this.raw.writableEnded
  }

  code(status: number): this {
    this.statusCode = status
    return this
  }

  header(name: string, value: HeaderValue): this {
    this.#headers[name.toLowerCase()] = value
    return this
  }

  headers(values: Record<string, HeaderValue>): this {
    for (const name in values) this.header(name, values[name] as HeaderValue)
    return this
  }

  getHeader(name: string): HeaderValue | undefined {
    return this.#headers[name.toLowerCase()]
  }

  removeHeader(name: string): this {
    delete this.#headers[name.toLowerCase()]
    return this
  }

  send(payload?: unknown): this {
    if (this.sent) {
      this.hooks.log.warn('an answer was sent twice; the second is dropped')
      return this
    }
    if (payload instanceof Error) {
      this.#answerError(payload)
      return this
    }
    this.#sent = true
    if (isReadable(payload)) {
      this.#sendStream(payload)
      return this
    }
    let bytes: Buffer | string
    if (payload === undefined || payload === null) bytes = ''
    else if (Buffer.isBuffer(payload)) {
      this.#headers['content-type'] ??= OCTET_TYPE
      bytes = payload
    } else if (typeof payload === 'string') {
      this.#headers['content-type'] ??= TEXT_TYPE
      bytes = payload
    } else {
      this.#headers['content-type'] ??= JSON_TYPE
      bytes = JSON.stringify(payload)
    }
    this.#headers['content-length'] = String(Buffer.byteLength(bytes))
    this.#writeHead()
    // One write: `end` corks the socket for the head and the body.
    this.raw.end(bytes)
    return this
  }

  #writeHead(): void {
    this.#beforeHead()
    this.raw.writeHead(this.statusCode, this.#headers)
  }

  #beforeHead(): void {
    // An answer without a body has no length or type (RFC 9110 §8.6), as Fastify sends it.
    if (this.statusCode === 204 || this.statusCode < 200) {
      delete this.#headers['content-type']
      delete this.#headers['content-length']
    }
    this.hooks.beforeHead(this)
  }

  /** The error's answer is a body of its own: the one that was meant drops its type and length. */
  #answerError(error: Error): void {
    delete this.#headers['content-type']
    delete this.#headers['content-length']
    this.hooks.onError(error, this)
  }

  /**
   * Piped; the head goes with the first bytes (set, not written, so that a stream failing before
   * any byte can still be answered with an error). A stream failing later cuts the response; a
   * response closed first destroys the stream.
   */
  #sendStream(stream: Readable): void {
    const res = this.raw
    let streamOpen = true
    finished(stream, { readable: true, writable: false }, (error) => {
      streamOpen = false
      if (error == null) return
      if (res.headersSent) {
        this.hooks.log.warn({ err: error }, 'the answer stream failed after it began')
        res.destroy()
        return
      }
      for (const name of res.getHeaderNames()) res.removeHeader(name)
      this.#sent = false
      this.#answerError(error)
    })
    finished(res, () => {
      if (streamOpen) stream.destroy()
    })
    this.#beforeHead()
    res.statusCode = this.statusCode
    for (const name in this.#headers) res.setHeader(name, this.#headers[name] as HeaderValue)
    stream.pipe(res)
  }
}
