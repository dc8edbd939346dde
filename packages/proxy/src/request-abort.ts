/** What `addEventListener` takes: a function, or an object with `handleEvent` (the dispatch queue's waiters). */
type AbortListener = ((event: AbortEvent) => void) | { handleEvent(event: AbortEvent): void }

/** The event a listener gets: what Node's `abort` event says that its listeners here read. */
interface AbortEvent {
  readonly type: 'abort'
  readonly target: RequestAbort
}

/**
 * The abort signal of one proxied request: it aborts when the client leaves before the end of its
 * answer. Node's `AbortController` makes each signal an `EventTarget`, whose creation and
 * listeners took about 2 % of the server's CPU per request (bench/README.md "Profile"), for a
 * signal that aborts in few requests. This one carries the part of `AbortSignal` that the
 * request's consumers use: undici (`addEventListener` / `removeEventListener`, `aborted`,
 * `reason`), `node:timers/promises` (the same, after checking `aborted` is there), the dispatch
 * queue (listener objects with `handleEvent`) and this package (`throwIfAborted`). Like
 * `EventTarget`, a listener is added once however often it is given, and one that throws is
 * reported as an uncaught exception without keeping the others from running.
 */
export class RequestAbort {
  aborted = false
  reason: unknown = undefined
  #listeners: AbortListener[] | null = null

  /** This, as the `AbortSignal` its consumers are typed to take (see the class comment). */
  get signal(): AbortSignal {
    return this as unknown as AbortSignal
  }

  addEventListener(type: string, listener: AbortListener | null): void {
    if (type !== 'abort' || listener === null || this.aborted) return
    if (this.#listeners === null) this.#listeners = [listener]
    else if (!this.#listeners.includes(listener)) this.#listeners.push(listener)
  }

  removeEventListener(type: string, listener: AbortListener | null): void {
    const listeners = this.#listeners
    if (type !== 'abort' || listeners === null || listener === null) return
    const index = listeners.indexOf(listener)
    if (index !== -1) listeners.splice(index, 1)
  }

  throwIfAborted(): void {
    if (this.aborted) throw this.reason
  }

  /** Aborts once (later calls do nothing), calling each listener once, in the order added. */
  abort(reason: unknown): void {
    if (this.aborted) return
    this.aborted = true
    this.reason = reason
    const listeners = this.#listeners
    this.#listeners = null
    if (listeners === null) return
    const event: AbortEvent = { type: 'abort', target: this }
    for (const listener of listeners) {
      try {
        if (typeof listener === 'function') listener.call(this, event)
        else listener.handleEvent(event)
      } catch (error) {
        process.nextTick(() => {
          throw error
        })
      }
    }
  }
}
