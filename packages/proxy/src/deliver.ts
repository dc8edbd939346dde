import { Readable } from 'node:stream'
import type { AttemptOutcome } from '@sfp/key-pool'
import { upstreamErrorMessage } from './classify.js'
import { type ProxyErrorAnswer, proxyErrorBody } from './errors.js'
import { clientResponseHeaders } from './headers.js'
import {
  noteError,
  noteUsage,
  type ProxyRequestRecord,
  proxyErrorDetail,
  shortMessage,
} from './record.js'
import { bodyFormat, relayBody, takeWholeAnswer, type WholeAnswer } from './relay.js'
import { maskedChunks, maskQuotedSecret } from './secret-masker.js'
import type { SlowReaders, SlowReaderWatch } from './slow-readers.js'
import { transportFailureText, type UpstreamResponse } from './transport.js'
import type { ProxyReply } from './types.js'

/** The three ways an answer leaves the proxy, and what each needs of the request. */
export interface Delivery {
  reply: ProxyReply
  record: ProxyRequestRecord
  /** Aborted when the client leaves. */
  signal: AbortSignal
  /** Resolves when the response is finished or its connection closed. */
  closed: Promise<void>
  /** UPSTREAM_BODY_IDLE_TIMEOUT_MS: a client that takes no byte this long is cut. */
  slowReaders: SlowReaders
  noteFirstByte(): void
}

/** A client that leaves never counts against the key (docs/behaviour.md §4: the client's doing). */
export const CLIENT_GONE: AttemptOutcome = { kind: 'clientError', status: null }
const SUCCESS: AttemptOutcome = { kind: 'success' }

/**
 * A 2xx answer, relayed as it arrives. Resolves once it is delivered, with the outcome the key
 * pool should hear: success, a network error if the upstream broke off, or the client's leaving.
 */
export async function deliverAnswer(
  delivery: Delivery,
  response: UpstreamResponse,
  dropUsageEvent: boolean,
  secret: string,
): Promise<AttemptOutcome> {
  const { reply, record, signal } = delivery
  record.upstreamStatus = response.status
  const contentType = response.headers['content-type']
  const format = bodyFormat(contentType)
  // An SSE body may lose its usage event on the way: its length is not passed on.
  reply.code(response.status).headers(clientResponseHeaders(response.headers, format !== 'sse'))
  const whole = takeWholeAnswer(response.body, format, contentType, secret)
  if (whole !== null) return deliverWhole(delivery, whole)
  const relay = relayBody({
    body: response.body,
    format,
    dropUsageEvent,
    signal,
    onFirstByte: () => delivery.noteFirstByte(),
    secret,
    client: reply.raw,
  })
  reply.send(relay.stream)
  const slowReader = await delivered(delivery)
  // The relay may still be finishing (Fastify drains the body of a 204 after answering): its end
  // decides the outcome. A client that left must not keep it reading.
  if (signal.aborted) relay.stream.destroy()
  await streamClosed(relay.stream)
  noteUsage(record, relay.usage())
  const end = relay.end()
  if (end.kind === 'complete') return SUCCESS
  if (slowReader.cut) {
    const cutAfterMs = delivery.slowReaders.idleMs
    const message = `The client took no byte of the answer for ${cutAfterMs} ms: cut`
    noteError(record, { type: 'client_disconnected', params: { cutAfterMs } }, message)
    return CLIENT_GONE
  }
  if (end.kind === 'client-gone') return CLIENT_GONE
  const { failure } = end
  noteError(
    record,
    { type: 'upstream_stream_error', params: failure },
    transportFailureText(failure),
  )
  return { kind: 'networkError', code: failure.code }
}

/** A 2xx answer that came whole, its head set: one buffer, the rest as `deliverAnswer`. */
async function deliverWhole(delivery: Delivery, whole: WholeAnswer): Promise<AttemptOutcome> {
  if (whole.bytes.length > 0) delivery.noteFirstByte()
  delivery.reply.send(whole.bytes)
  await delivered(delivery)
  // Read only now, the answer out: nothing the client's first byte waits for.
  noteUsage(delivery.record, whole.usage())
  // The upstream's answer was read whole: for the key, a success, whoever left since.
  return SUCCESS
}

/** Until the answer being sent is finished or its client gone, a reader taking nothing cut. */
async function delivered(delivery: Delivery): Promise<SlowReaderWatch> {
  const slowReader = delivery.slowReaders.watch(delivery.reply.raw)
  await delivery.closed
  slowReader.stop()
  return slowReader
}

/**
 * The final upstream error, passed through with its own status, headers and body; only the
 * upstream key it was sent with (`secret`) is masked wherever the upstream quoted it back, at the
 * same length, so its Content-Length stays true.
 */
export async function passThroughError(
  delivery: Delivery,
  response: UpstreamResponse,
  head: Buffer,
  rest: Readable | null,
  secret: string,
): Promise<void> {
  const { reply, record } = delivery
  const shown = maskQuotedSecret(head, secret)
  const { status } = response
  const detail = shortMessage(upstreamErrorMessage(shown))
  noteError(
    record,
    { type: 'upstream_error', params: { status, detail } },
    detail ?? `HTTP ${status}`,
  )
  reply.code(response.status).headers(clientResponseHeaders(response.headers, true))
  delivery.noteFirstByte()
  // `rest` replays the head first: all of it goes through the masker, however long.
  if (rest === null) reply.send(shown)
  else reply.send(Readable.from(maskedChunks(rest as AsyncIterable<Buffer>, secret)))
  await delivery.closed
}

/** `error`, made by the proxy itself, answered in the error envelope (docs/behaviour.md §3). */
export function sendProxyError(delivery: Delivery, answer: ProxyErrorAnswer, error: unknown): void {
  const { reply, record } = delivery
  noteError(record, proxyErrorDetail(answer.code, error), answer.message)
  if (answer.retryAfterSeconds !== undefined) {
    reply.header('retry-after', String(answer.retryAfterSeconds))
  }
  // The rest of an oversized or stalled upload is not worth reading: close the connection.
  if (answer.code === 'request_too_large' || answer.code === 'request_timeout') {
    reply.header('connection', 'close')
  }
  delivery.noteFirstByte()
  reply.code(answer.status).send(proxyErrorBody(answer))
}

function streamClosed(stream: Readable): Promise<void> {
  return new Promise((resolve) => {
    if (stream.closed) resolve()
    else stream.once('close', () => resolve())
  })
}
