const LF = 0x0a
const CR = 0x0d
const COLON = 0x3a
const SPACE = 0x20
const EMPTY = Buffer.alloc(0)
const LINE_FEED = Buffer.from('\n')
// `data`, byte by byte.
const D = 0x64
const A = 0x61
const T = 0x74

/** One block of a server-sent event stream: the bytes up to and including its blank line. */
export interface SseEvent {
  /** The bytes exactly as received, so that passing every `raw` on reproduces the stream. */
  raw: Buffer
  /**
   * The `data` lines' bytes joined by `\n` (one line's: a view of the bytes received), not
   * decoded: the proxy searches them for `"usage"` and decodes only the event that has it.
   * Decoding each line as UTF-8 made an event of Chinese text cost ~1.6 times an ASCII one to
   * parse (0.9–1.1 against 0.6 µs); as bytes, both 0.55–0.66 µs (bench/README.md "Eleventh
   * pass"). Null for blocks without data (comments, keep-alives), for pieces of an oversized
   * block and for the unterminated rest of a stream.
   */
  data: Buffer | null
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
  #data: Buffer[] | null = null
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
      out.push({ raw: Buffer.concat(this.#lines), data: joinedData(this.#data) })
      this.#reset()
      return
    }
    // A field's name runs to the first colon, or is the whole line without one (a comment starts
    // with a colon). So a `data` line is `data` alone or `data:` and its value: compared as
    // bytes, the names being ASCII.
    const named = contentLength >= 4 && raw[0] === D && raw[1] === A && raw[2] === T && raw[3] === A
    if (!named || (contentLength > 4 && raw[4] !== COLON)) return
    let valueStart = contentLength === 4 ? 4 : 5
    if (valueStart < contentLength && raw[valueStart] === SPACE) valueStart += 1
    this.#data ??= []
    this.#data.push(raw.subarray(valueStart, contentLength))
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

/**
 * An event's `data` lines as one buffer, `\n` between them; null when it had none. One line
 * (nearly every event) is handed out as it is, a view of the bytes received.
 */
function joinedData(lines: readonly Buffer[] | null): Buffer | null {
  if (lines === null) return null
  if (lines.length === 1) return lines[0] ?? EMPTY
  return Buffer.concat(lines.flatMap((line, i) => (i === 0 ? [line] : [LINE_FEED, line])))
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
