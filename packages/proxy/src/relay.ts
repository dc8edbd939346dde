import { Readable } from 'node:stream'
import { errorBody } from '@sfp/schemas'
import { UpstreamStreamError } from './errors.js'
import { describeTransportCode, errorCode } from './request.js'
import { SseParser } from './sse-parser.js'
import { JsonUsageCollector, type TokenUsage, usageFromSseEvent } from './usage.js'

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
  | { kind: 'upstream-failed'; code: string; reason: string }
  | { kind: 'client-gone' }

export interface RelayOptions {
  /** The upstream answer's body (undici's stream). */
  body: Readable
  format: BodyFormat
  /** The proxy asked for the usage event: take the usage-only event out. */
  dropUsageEvent: boolean
  /** Aborted when the client leaves. */
  signal: AbortSignal
  onFirstByte: () => void
}

export interface Relay {
  /** What the client receives; hand it to `reply.send`. */
  stream: Readable
  end(): RelayEnd
  usage(): TokenUsage | null
}

/** The final SSE event after a mid-stream failure, in the OpenAI error envelope. */
export function sseErrorEvent(message: string): Buffer {
  return Buffer.from(`data: ${JSON.stringify(errorBody('upstream_stream_error', message))}\n\n`)
}

/**
 * Pass an answer's body to the client as it arrives. It is pulled, never pushed: while the client
 * reads slowly, nothing more is read from upstream and TCP slows the upstream down (bounded
 * buffering). On the way, usage is read (JSON: a bounded copy; SSE: the usage event) and, when
 * the proxy asked for it, the usage-only SSE event is removed; every other byte passes unchanged.
 * An upstream failure ends SSE with a final error event and cuts other bodies.
 * @see CONTRACT §5 "A failure mid-stream ends an SSE response with a final data: {error} event"
 */
export function relayBody(options: RelayOptions): Relay {
  const { body, format, dropUsageEvent, signal, onFirstByte } = options
  const parser = new SseParser()
  const collector = new JsonUsageCollector()
  let usage: TokenUsage | null = null
  let end: RelayEnd = { kind: 'client-gone' }

  /** The bytes of whole events, minus the usage-only event when it is to be dropped. */
  function keepEvents(events: ReturnType<SseParser['feed']>): Buffer {
    const kept: Buffer[] = []
    for (const event of events) {
      const found = event.data === null ? null : usageFromSseEvent(event.data)
      if (found !== null) usage = found.usage
      if (found?.usageOnly && dropUsageEvent) continue
      kept.push(event.raw)
    }
    return Buffer.concat(kept)
  }

  async function* relay(): AsyncGenerator<Buffer> {
    let started = false
    const emit = (bytes: Buffer) => {
      if (!started && bytes.length > 0) {
        started = true
        onFirstByte()
      }
      return bytes
    }
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        if (format === 'sse') {
          const bytes = keepEvents(parser.feed(chunk))
          if (bytes.length > 0) yield emit(bytes)
          continue
        }
        if (format === 'json') collector.add(chunk)
        yield emit(chunk)
      }
      if (format === 'sse') {
        const rest = keepEvents(parser.end())
        if (rest.length > 0) yield emit(rest)
      }
      if (format === 'json') usage = collector.usage()
      end = { kind: 'complete' }
    } catch (error) {
      if (signal.aborted) return
      const code = errorCode(error)
      const { reason } = describeTransportCode(code)
      end = { kind: 'upstream-failed', code, reason }
      if (format !== 'sse') throw new UpstreamStreamError(reason, { cause: error })
      // An oversized event may be half out already: close it before the error event.
      const separator = parser.midBlock ? Buffer.from('\n\n') : Buffer.alloc(0)
      yield emit(
        Buffer.concat([separator, sseErrorEvent(`The upstream answer broke off (${reason})`)]),
      )
    } finally {
      if (!body.destroyed) body.destroy()
    }
  }

  return {
    stream: Readable.from(relay(), { objectMode: false }),
    end: () => end,
    usage: () => usage,
  }
}
