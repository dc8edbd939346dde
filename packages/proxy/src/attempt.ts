import type { IncomingHttpHeaders } from 'node:http'
import { Readable } from 'node:stream'
import type { Dispatcher } from 'undici'
import { upstreamRequestHeaders } from './headers.js'
import type { ClientBody } from './request-body.js'
import {
  isTransportError,
  type Transport,
  type TransportError,
  type UpstreamResponse,
  wrapTransportError,
} from './transport.js'
import { uploadBody } from './upload.js'

/** Error answers are read (up to this much) before deciding to retry, move on or pass them on. */
export const ERROR_BODY_MAX_BYTES = 64 * 1024

/** What one upstream attempt brought back. */
export type AttemptReply =
  /** 2xx: the body is untouched, ready to be relayed. */
  | { kind: 'answer'; response: UpstreamResponse }
  /** Any other status: the start of the body is read (`head`); `rest` when it was longer. */
  | { kind: 'error-answer'; response: UpstreamResponse; head: Buffer; rest: Readable | null }
  /** No usable answer. */
  | { kind: 'failure'; error: TransportError }

/**
 * Drop an answer that will not be passed on. A body read to its end leaves the connection
 * reusable; an unfinished one is destroyed and undici closes its connection.
 */
export function discardReply(reply: AttemptReply): void {
  if (reply.kind === 'failure') return
  if (reply.kind === 'error-answer') reply.rest?.destroy()
  if (!reply.response.body.destroyed) reply.response.body.destroy()
}

export interface AttemptRequest {
  /** The lease's lane: the egress this attempt goes out through. */
  dispatcher: Dispatcher
  method: string
  path: string
  clientHeaders: IncomingHttpHeaders
  body: ClientBody
  secret: string
  signal: AbortSignal
}

/** Send one attempt. Throws only the signal's reason (the client left) or a bug. */
export async function sendAttempt(
  transport: Transport,
  request: AttemptRequest,
): Promise<AttemptReply> {
  const { body, signal } = request
  let response: UpstreamResponse
  try {
    response = await transport.send({
      dispatcher: request.dispatcher,
      method: request.method,
      path: request.path,
      headers: upstreamRequestHeaders(
        request.clientHeaders,
        request.secret,
        body.kind === 'file' ? String(body.length) : undefined,
      ),
      body: uploadBody(body),
      signal,
    })
  } catch (error) {
    if (isTransportError(error)) return { kind: 'failure', error }
    throw error
  }
  if (response.status >= 200 && response.status < 300) return { kind: 'answer', response }
  try {
    const { head, rest } = await readHead(response.body.toReadable(), ERROR_BODY_MAX_BYTES)
    return { kind: 'error-answer', response, head, rest }
  } catch (error) {
    response.body.destroy()
    if (signal.aborted) throw signal.reason
    return { kind: 'failure', error: wrapTransportError(error) }
  }
}

/** Read up to `max` bytes; if there is more, `rest` replays those bytes and everything after. */
async function readHead(
  body: Readable,
  max: number,
): Promise<{ head: Buffer; rest: Readable | null }> {
  const iterator = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>
  const chunks: Buffer[] = []
  let bytes = 0
  while (bytes <= max) {
    const next = await iterator.next()
    if (next.done) return { head: Buffer.concat(chunks), rest: null }
    chunks.push(next.value)
    bytes += next.value.length
  }
  const head = Buffer.concat(chunks)
  async function* replay(): AsyncGenerator<Buffer> {
    yield head
    try {
      for (let next = await iterator.next(); !next.done; next = await iterator.next())
        yield next.value
    } finally {
      if (!body.destroyed) body.destroy()
    }
  }
  return { head, rest: Readable.from(replay(), { objectMode: false }) }
}
