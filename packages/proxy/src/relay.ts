import type { ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import { transportFailure } from '@sfp/egress'
import { errorBody, type TransportFailure } from '@sfp/schemas'
import { UpstreamStreamError } from './errors.js'
import { maskQuotedSecret, SecretMasker } from './secret-masker.js'
import { SseParser } from './sse-parser.js'
import { transportFailureText } from './transport.js'
import type { UpstreamBody } from './upstream-body.js'
import {
  JsonUsageCollector,
  type TokenUsage,
  usageFromJsonEnd,
  usageFromSseEvent,
} from './usage.js'

/** How the body of an answer is read on its way: SSE events, a JSON document, or opaque bytes. */
export type BodyFormat = 'sse' | 'json' | 'other'

export function bodyFormat(contentType: string | string[] | undefined): BodyFormat {
  const type = (Array.isArray(contentType) ? contentType[0] : contentType)?.toLowerCase() ?? ''
  if (type.startsWith('text/event-stream')) return 'sse'
  if (/^application\/([\w.+-]+\+)?json\b/.test(type)) return 'json'
  return 'other'
}

/** How a relay ended. Until it ends otherwise, a relay counts as ended by the client leaving. */
export type RelayEnd =
  | { kind: 'complete' }
  | { kind: 'upstream-failed'; failure: TransportFailure }
  | { kind: 'client-gone' }

export interface RelayOptions {
  /** The upstream answer's body, as undici reads it. */
  body: UpstreamBody
  format: BodyFormat
  /** The proxy asked for the usage event: take the usage-only event out. */
  dropUsageEvent: boolean
  /** Aborted when the client leaves. */
  signal: AbortSignal
  onFirstByte: () => void
  /** The upstream key the attempt was sent with: masked wherever the body quotes it back. */
  secret: string
  /**
   * The client's response, corked from each upstream chunk until the microtasks of that turn
   * run: an answer whose last chunk and end arrive together leaves in one socket write.
   */
  client?: Pick<ServerResponse, 'cork' | 'uncork'>
}

export interface Relay {
  /** What the client receives; hand it to `reply.send`. */
  stream: Readable
  end(): RelayEnd
  usage(): TokenUsage | null
}

/** An answer that came whole before it was relayed, masked, and its usage to read once sent. */
export interface WholeAnswer {
  bytes: Buffer
  /**
   * The answer's token usage, read from its bytes as they came. A call, not a field: reading it
   * takes a few microseconds the client need not wait for, so the delivery reads it after the
   * send (bench/README.md "Tenth pass").
   */
  usage(): TokenUsage | null
}

/**
 * An answer that arrived whole before it was relayed (`UpstreamBody.takeArrived`: a non-streamed
 * answer's head and body in one read, the usual case) is sent as one buffer: no stream, pipe and
 * end-of-stream watch between it and the client, for bytes that are all here. Masked, and its
 * usage read, as the relay would. Null, and nothing taken, for SSE (a stream to its client, and
 * its usage event may be dropped), for an answer without a Content-Type (Fastify would name a
 * buffer `application/octet-stream`) and for one still arriving: those are relayed.
 */
export function takeWholeAnswer(
  body: UpstreamBody,
  format: BodyFormat,
  contentType: string | string[] | undefined,
  secret: string,
): WholeAnswer | null {
  if (format === 'sse' || contentType === undefined) return null
  const bytes = body.takeArrived()
  if (bytes === null) return null
  // The bytes as they came (masking copies): the usage is read from them.
  return {
    bytes: maskQuotedSecret(bytes, secret),
    usage: () => (format === 'json' ? usageFromJsonEnd(bytes) : null),
  }
}

/** The final SSE event after a mid-stream failure, in the OpenAI error envelope. */
export function sseErrorEvent(message: string): Buffer {
  return Buffer.from(`data: ${JSON.stringify(errorBody('upstream_stream_error', message))}\n\n`)
}

/**
 * Pass an answer's body to the client as it arrives. Bounded buffering: when the client reads
 * slowly and the relay's buffer is full, the upstream body is paused and TCP slows the upstream
 * down. On the way, usage is read (JSON: a bounded copy; SSE: the usage event) and, when the
 * proxy asked for it, the usage-only SSE event is removed; every other byte passes unchanged.
 * An upstream failure ends SSE with a final error event and cuts other bodies.
 *
 * A sink and `push` rather than an async generator or a second stream: this runs for every chunk
 * of every answer, and promise and stream machinery per chunk was a measurable share of the
 * proxy's CPU.
 * @see docs/behaviour.md §5: a failure mid-stream ends an SSE answer with a final error event
 */
export function relayBody(options: RelayOptions): Relay {
  const { body, format, dropUsageEvent, signal, onFirstByte, client } = options
  const masker = new SecretMasker(options.secret)
  const parser = format === 'sse' ? new SseParser() : null
  const collector = format === 'json' ? new JsonUsageCollector() : null
  let usage: TokenUsage | null = null
  let end: RelayEnd = { kind: 'client-gone' }
  let started = false

  const stream = new Readable({
    read() {
      body.resume()
    },
    destroy(error, callback) {
      // The client is gone (or the answer failed): stop reading upstream at once.
      if (!body.destroyed) body.destroy()
      callback(error)
    },
  })

  function emit(unmasked: Buffer): void {
    if (unmasked.length === 0 || stream.destroyed) return
    const bytes = masker.mask(unmasked)
    push(bytes)
  }

  function push(bytes: Buffer): void {
    if (bytes.length === 0 || stream.destroyed) return
    if (!started) {
      started = true
      onFirstByte()
    }
    if (!stream.push(bytes)) body.pause()
  }

  /** The bytes of whole events, minus the usage-only event when it is to be dropped. */
  function keepEvents(events: ReturnType<SseParser['feed']>): Buffer {
    const kept: Buffer[] = []
    for (const event of events) {
      const found = event.data === null ? null : usageFromSseEvent(event.data)
      if (found !== null) usage = found.usage
      if (found?.usageOnly && dropUsageEvent) continue
      kept.push(event.raw)
    }
    return kept.length === 1 && kept[0] ? kept[0] : Buffer.concat(kept)
  }

  // Piped through `reply.send`, the client's response is ended a tick after the last chunk was
  // written (the stream's 'end' is emitted on the next tick), when Node's own cork has already
  // sent that chunk: `0\r\n\r\n` of a chunked answer then took a socket write of its own (~4 % of
  // the server's CPU, bench/README.md "Profile"). Holding the writes until the microtasks of
  // the turn lets `end()` join them (it uncorks fully); a streamed event waits no longer than
  // the turn that brought it.
  let corked = false
  const uncork = () => {
    corked = false
    client?.uncork()
  }
  function holdWrites(): void {
    if (client === undefined || corked) return
    corked = true
    client.cork()
    queueMicrotask(uncork)
  }

  let settled = false
  const fail = (error: Error) => {
    if (settled) return
    settled = true
    // The client left: the upstream was aborted on purpose, nothing more to say to anyone.
    if (signal.aborted || stream.destroyed) {
      stream.push(null)
      return
    }
    const failure = transportFailure(error)
    const reason = transportFailureText(failure)
    end = { kind: 'upstream-failed', failure }
    if (parser === null) {
      stream.destroy(new UpstreamStreamError(reason, { cause: error }))
      return
    }
    // An oversized event may be half out already: close it before the error event.
    const separator = parser.midBlock ? Buffer.from('\n\n') : Buffer.alloc(0)
    emit(Buffer.concat([separator, sseErrorEvent(`The upstream answer broke off (${reason})`)]))
    stream.push(null)
  }
  body.pipeTo({
    data(chunk) {
      holdWrites()
      if (parser !== null) {
        emit(keepEvents(parser.feed(chunk)))
        return
      }
      collector?.add(chunk)
      emit(chunk)
    },
    end() {
      holdWrites()
      settled = true
      if (parser !== null) emit(keepEvents(parser.end()))
      push(masker.flush())
      if (collector !== null) usage = collector.usage()
      end = { kind: 'complete' }
      stream.push(null)
    },
    error: fail,
  })

  return { stream, end: () => end, usage: () => usage }
}
