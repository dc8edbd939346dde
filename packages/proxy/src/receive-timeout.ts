import { Transform, type TransformCallback } from 'node:stream'
import { RequestTimeout } from './errors.js'

/**
 * The request body on its way into the proxy, failed with RequestTimeout (408) when nothing
 * arrives for `idleMs` (CLIENT_BODY_IDLE_TIMEOUT_MS). Only receiving is timed: once the body is in,
 * the upstream may take as long as its own timeouts allow.
 */
export class ReceiveTimeout extends Transform {
  #timer: NodeJS.Timeout | null = null

  constructor(private readonly idleMs: number) {
    super()
    this.#arm()
  }

  #arm(): void {
    if (this.#timer !== null) this.#timer.refresh()
    else this.#timer = setTimeout(() => this.destroy(new RequestTimeout(this.idleMs)), this.idleMs)
  }

  #disarm(): void {
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#arm()
    callback(null, chunk)
  }

  override _flush(callback: TransformCallback): void {
    this.#disarm()
    callback()
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#disarm()
    callback(error)
  }
}
