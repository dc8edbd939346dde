import type { Pool } from 'undici'
import type { Target } from '../targets/target.js'
import { chatCompletion } from './load.js'

/** What one SSE stream brought: its events, and each event's trip from upstream send. */
export interface StreamResult {
  status: number
  events: number
  /** The stream ended with `data: [DONE]`. */
  done: boolean
  /** A `data: {"error":...}` event arrived (the proxy's mid-stream failure event). */
  errorEvent: boolean
  failed: boolean
  /** Arrival minus the upstream's `sent_at` stamp of the first event, ms. */
  firstTripMs: number
  /** The same for every later event: the relay's steady-state delay. */
  tripsMs: number[]
}

const SENT_AT = /^: sent_at=([\d.]+)$/m

/** Wall-clock milliseconds with sub-millisecond precision, the clock of the mock's stamps. */
export const wallClockMs = () => performance.timeOrigin + performance.now()

/**
 * Read one streaming chat completion, timing every event against the send time the look-alike
 * upstream stamped on it (`stampSseEvents`; the upstream runs in this process, same clock).
 * `onFirstByte` fires when the stream is open and flowing.
 */
export async function readStream(
  pool: Pool,
  target: Target,
  onFirstByte: () => void,
): Promise<StreamResult> {
  const result: StreamResult = {
    status: 0,
    events: 0,
    done: false,
    errorEvent: false,
    failed: false,
    firstTripMs: Number.NaN,
    tripsMs: [],
  }
  let pending = ''
  let first = true
  try {
    const { statusCode, body } = await pool.request(chatCompletion(target, true))
    result.status = statusCode
    for await (const chunk of body as AsyncIterable<Buffer>) {
      const arrivedAt = wallClockMs()
      if (first) {
        first = false
        onFirstByte()
      }
      pending += chunk.toString('utf8')
      let end = pending.indexOf('\n\n')
      while (end !== -1) {
        const block = pending.slice(0, end)
        pending = pending.slice(end + 2)
        end = pending.indexOf('\n\n')
        result.events += 1
        const sentAt = SENT_AT.exec(block)?.[1]
        const tripMs = sentAt === undefined ? Number.NaN : arrivedAt - Number(sentAt)
        if (result.events === 1) result.firstTripMs = tripMs
        else if (!Number.isNaN(tripMs)) result.tripsMs.push(tripMs)
        if (block.endsWith('data: [DONE]')) result.done = true
        if (block.includes('data: {"error"')) result.errorEvent = true
      }
    }
  } catch {
    result.failed = true
  }
  if (first) onFirstByte()
  return result
}
