import type { Readable } from 'node:stream'
import { RequestTimeout, RequestTooLarge } from './errors.js'

/**
 * A timer that fails a body being received when nothing arrives for `idleMs`
 * (CLIENT_BODY_IDLE_TIMEOUT_MS): only receiving is timed; once the body is in, the upstream may
 * take as long as its own timeouts allow.
 */
export class IdleTimer {
  #timer: NodeJS.Timeout

  constructor(idleMs: number, onIdle: (error: InstanceType<typeof RequestTimeout>) => void) {
    this.#timer = setTimeout(() => onIdle(new RequestTimeout(idleMs)), idleMs)
  }

  /** Something arrived. */
  refresh(): void {
    this.#timer.refresh()
  }

  stop(): void {
    clearTimeout(this.#timer)
  }
}

export interface ReceiveLimits {
  /** BODY_LIMIT_MB in bytes. */
  limit: number
  /** CLIENT_BODY_IDLE_TIMEOUT_MS. */
  idleMs: number
}

/**
 * A JSON body, read whole into memory before anything is queued: RequestTooLarge (413) as soon as
 * the declared length or the bytes read pass the limit, RequestTimeout (408) when it stops
 * arriving, the source's error when the client leaves. Listeners on the request, not a stream in
 * between: this runs for every proxied request.
 */
export function receiveJson(
  source: Readable,
  declaredLength: string | undefined,
  { limit, idleMs }: ReceiveLimits,
): Promise<Buffer> {
  if (declaredLength !== undefined && Number(declaredLength) > limit) {
    return Promise.reject(new RequestTooLarge(limit))
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let bytes = 0
    const finish = (error: Error | null) => {
      idle.stop()
      source.off('data', onData)
      source.off('end', onEnd)
      source.off('error', finish)
      if (error === null)
        resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, bytes))
      else reject(error)
    }
    const idle = new IdleTimer(idleMs, finish)
    const onData = (chunk: Buffer) => {
      bytes += chunk.length
      if (bytes > limit) {
        finish(new RequestTooLarge(limit))
        return
      }
      chunks.push(chunk)
      idle.refresh()
    }
    const onEnd = () => finish(null)
    source.on('data', onData)
    source.once('end', onEnd)
    source.once('error', finish)
  })
}
