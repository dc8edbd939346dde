const LF = 0x0a
const CR = 0x0d
const EMPTY = Buffer.alloc(0)

/** One block of a server-sent event stream: the bytes up to and including its blank line. */
export interface SseEvent {
  /** The bytes exactly as received, so that passing every `raw` on reproduces the stream. */
  raw: Buffer
  /**
   * The `data` lines joined by `\n`. Null for blocks without data (comments, keep-alives), for
   * pieces of an oversized block and for the unterminated rest of a stream.
   */
  data: string | null
}

/** Largest block kept whole; longer ones are passed on in pieces and their data is not read. */
export const SSE_MAX_EVENT_BYTES = 1024 * 1024

/**
 * An incremental parser for `text/event-stream` bytes (WHATWG HTML "server-sent events"): lines
 * end with LF, CRLF or CR (a CRLF split across chunks counts once), a blank line ends an event,
 * `data` lines of one event are joined with `\n`, lines starting with `:` are comments. It keeps
 * only the current block, so memory stays bounded whatever the chunking.
 */
export class SseParser {
  /** Bytes after the last complete line (with a trailing CR that may be half of a CRLF). */
  #partial: Buffer = EMPTY
  #lines: Buffer[] = []
  #blockBytes = 0
  #data: string[] | null = null
  /** The current block outgrew the limit: its bytes are handed out as they come. */
  #oversized = false
  /** Part of the current line was already handed out (oversized block). */
  #lineStarted = false

  constructor(private readonly maxEventBytes = SSE_MAX_EVENT_BYTES) {}

  /** True while bytes of an unfinished block have been handed out already. */
  get midBlock(): boolean {
    return this.#oversized && (this.#blockBytes > 0 || this.#lineStarted)
  }

  feed(chunk: Buffer): SseEvent[] {
    const out: SseEvent[] = []
    const partial = this.#partial
    const buffer = partial.length > 0 ? Buffer.concat([partial, chunk]) : chunk
    const breaks = new LineBreaks(buffer)
    let lineStart = 0
    // The kept bytes hold no line break, except perhaps a trailing CR.
    let index = partial[partial.length - 1] === CR ? partial.length - 1 : partial.length
    while (index < buffer.length) {
      const end = breaks.next(index)
      if (end === -1) break
      let after = end + 1
      if (buffer[end] === CR) {
        // A CR as the last byte may be the first half of a CRLF: decide with the next chunk.
        if (after === buffer.length) break
        if (buffer[after] === LF) after += 1
      }
      this.#line(buffer.subarray(lineStart, after), end - lineStart, out)
      lineStart = after
      index = after
    }
    this.#partial = Buffer.from(buffer.subarray(lineStart))
    this.#limit(out)
    return out
  }

  /** The stream ended: a pending CR line, then whatever is left (not an event: no blank line). */
  end(): SseEvent[] {
    const out: SseEvent[] = []
    const partial = this.#partial
    this.#partial = EMPTY
    if (partial.length > 0 && partial[partial.length - 1] === CR) {
      this.#line(partial, partial.length - 1, out)
    } else if (partial.length > 0) {
      this.#lines.push(partial)
    }
    if (this.#lines.length > 0) out.push({ raw: Buffer.concat(this.#lines), data: null })
    this.#reset()
    return out
  }

  #line(raw: Buffer, contentLength: number, out: SseEvent[]): void {
    const blank = contentLength === 0 && !this.#lineStarted
    this.#lineStarted = false
    if (this.#oversized) {
      out.push({ raw: Buffer.from(raw), data: null })
      if (blank) this.#reset()
      else this.#blockBytes += raw.length
      return
    }
    this.#lines.push(raw)
    this.#blockBytes += raw.length
    if (blank) {
      out.push({ raw: Buffer.concat(this.#lines), data: this.#data?.join('\n') ?? null })
      this.#reset()
      return
    }
    const line = raw.toString('utf8', 0, contentLength)
    if (line.startsWith(':')) return
    const colon = line.indexOf(':')
    if ((colon === -1 ? line : line.slice(0, colon)) !== 'data') return
    const value = colon === -1 ? '' : line.slice(colon + 1)
    this.#data ??= []
    this.#data.push(value.startsWith(' ') ? value.slice(1) : value)
  }

  /** Past the size limit, hand out what the block has so far and stop keeping it. */
  #limit(out: SseEvent[]): void {
    const pending = this.#blockBytes + this.#partial.length
    if (!this.#oversized && pending <= this.maxEventBytes) return
    if (!this.#oversized) {
      this.#oversized = true
      this.#data = null
      if (this.#lines.length > 0) out.push({ raw: Buffer.concat(this.#lines), data: null })
      this.#lines = []
    }
    // Keep a trailing CR back: it may still turn out to be half of a CRLF.
    const keep = this.#partial[this.#partial.length - 1] === CR ? 1 : 0
    const handOut = this.#partial.subarray(0, this.#partial.length - keep)
    if (handOut.length > 0) {
      out.push({ raw: Buffer.from(handOut), data: null })
      this.#blockBytes += handOut.length
      this.#lineStarted = true
      this.#partial = Buffer.from(this.#partial.subarray(handOut.length))
    }
  }

  #reset(): void {
    this.#lines = []
    this.#blockBytes = 0
    this.#data = null
    this.#oversized = false
    this.#lineStarted = false
  }
}

/** Finds line breaks; remembers where the next LF and CR are so that each byte is scanned once. */
class LineBreaks {
  #lf = -2
  #cr = -2
  constructor(private readonly buffer: Buffer) {}

  /** Index of the next LF or CR at or after `from`, or -1. */
  next(from: number): number {
    if (this.#lf !== -1 && this.#lf < from) this.#lf = this.buffer.indexOf(LF, from)
    if (this.#cr !== -1 && this.#cr < from) this.#cr = this.buffer.indexOf(CR, from)
    if (this.#cr === -1) return this.#lf
    if (this.#lf === -1) return this.#cr
    return Math.min(this.#lf, this.#cr)
  }
}
