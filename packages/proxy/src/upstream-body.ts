import { Readable } from 'node:stream'
import type { Dispatcher } from 'undici'

/** Where an upstream answer's body goes, chunk by chunk, as undici reads it. */
export interface BodySink {
  data(chunk: Buffer): void
  /** The whole body was read. */
  end(): void
  /** The body broke off (a timeout, the connection lost) or was destroyed. */
  error(error: Error): void
}

/** Bytes an answer may bring before its reader is there; then the connection waits for it. */
const EARLY_BYTES_MAX = 64 * 1024

/** The reader of a body taken whole (`takeArrived`): nothing comes after. */
const ARRIVED: BodySink = { data() {}, end() {}, error() {} }

/** What a premature end is called where no error says more (a destroy without a reason). */
const destroyedError = () =>
  Object.assign(new Error('The upstream answer was dropped'), { code: 'UND_ERR_ABORTED' })

/**
 * The body of an upstream answer as undici's dispatch handler delivers it: no stream of its
 * own between undici and the relay. undici's `request()` wrapped every answer in a `Readable`
 * (and a promise, an async resource, and its headers parsed twice through the egress's
 * interceptor); the relay read that `Readable` only to push each chunk into its own. Here the
 * relay is the sink (`pipeTo`) and backpressure is undici's own pause and resume of the
 * connection. The cold paths (an error answer read before deciding, tests) take a `Readable`
 * (`toReadable`).
 * @see bench/README.md "Sixth pass"
 */
export class UpstreamBody {
  #controller: Dispatcher.DispatchController
  #sink: BodySink | null = null
  /**
   * Chunks that came before a sink (an answer's head and body often arrive in one read, before
   * the attempt's promise has resumed): kept, and past `EARLY_BYTES_MAX` the connection paused.
   */
  #early: Buffer[] = []
  #earlyBytes = 0
  /** The sink asked for a pause: taking the early chunks must not resume the connection. */
  #sinkPaused = false
  #ended = false
  #error: Error | null = null
  #destroyed = false

  constructor(controller: Dispatcher.DispatchController) {
    this.#controller = controller
  }

  get destroyed(): boolean {
    return this.#destroyed
  }

  /**
   * The whole body, when it came before any reader (a small answer's head and body usually
   * arrive in one read of the connection), taken as this body's one reader; else null and
   * nothing taken. Bounded: past `EARLY_BYTES_MAX` the connection waits for a reader instead.
   */
  takeArrived(): Buffer | null {
    if (this.#sink !== null || !this.#ended || this.#destroyed) return null
    this.#sink = ARRIVED
    const early = this.#early
    this.#early = []
    return early.length === 1 ? (early[0] as Buffer) : Buffer.concat(early, this.#earlyBytes)
  }

  /** Hand every chunk, then the end or the error, to `sink`. Once per body. */
  pipeTo(sink: BodySink): void {
    if (this.#sink !== null) throw new Error('An upstream body has one reader')
    this.#sink = sink
    const early = this.#early
    this.#early = []
    for (const chunk of early) sink.data(chunk)
    if (this.#error !== null) sink.error(this.#error)
    else if (this.#ended) sink.end()
    else if (this.#controller.paused && !this.#sinkPaused) this.#controller.resume()
  }

  /** Stop reading the connection until `resume`: the sink's reader is slower. */
  pause(): void {
    this.#sinkPaused = true
    if (!this.#ended && this.#error === null) this.#controller.pause()
  }

  resume(): void {
    this.#sinkPaused = false
    if (!this.#ended && this.#error === null) this.#controller.resume()
  }

  /**
   * Drop the rest: a body not read to its end closes its connection (undici does not keep a
   * connection whose answer is unread). The sink, if any, hears `error`.
   */
  destroy(reason?: Error): void {
    if (this.#destroyed) return
    this.#destroyed = true
    if (this.#ended || this.#error !== null) return
    this.#controller.abort(reason ?? destroyedError())
  }

  /** The body as a `Readable`, for readers that are not on the hot path. */
  toReadable(): Readable {
    const readable = new Readable({
      read: () => this.resume(),
      destroy: (error, callback) => {
        this.destroy(error ?? undefined)
        callback(error)
      },
    })
    this.pipeTo({
      data: (chunk) => {
        if (!readable.push(chunk)) this.pause()
      },
      end: () => readable.push(null),
      error: (error) => readable.destroy(error),
    })
    return readable
  }

  // What undici's dispatch handler tells, below.

  /** @internal */
  data(chunk: Buffer): void {
    if (this.#sink !== null) {
      this.#sink.data(chunk)
      return
    }
    this.#early.push(chunk)
    this.#earlyBytes += chunk.length
    if (this.#earlyBytes > EARLY_BYTES_MAX) this.#controller.pause()
  }

  /** @internal */
  end(): void {
    this.#ended = true
    this.#sink?.end()
  }

  /** @internal */
  fail(error: Error): void {
    if (this.#ended || this.#error !== null) return
    this.#error = error
    this.#sink?.error(error)
  }
}
