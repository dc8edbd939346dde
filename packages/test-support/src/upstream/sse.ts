import type { ServerResponse } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
}

export function sseEvent(data: unknown): string {
  return `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`
}

/**
 * The event behind a comment line `: sent_at=<ms since the epoch, fractional>` taken as it is
 * written. SSE readers ignore comments; a benchmark reads it to time each event's trip.
 */
export function stampedEvent(event: string): string {
  return `: sent_at=${(performance.timeOrigin + performance.now()).toFixed(3)}\n${event}`
}

/**
 * Write events with a pause between them, stopping early when the client is gone. `stamp`:
 * prefix each event with its send time (`stampedEvent`).
 */
export async function writeEvents(
  res: ServerResponse,
  events: readonly string[],
  intervalMs: number,
  onBytes: (bytes: number) => void = () => {},
  stamp = false,
): Promise<void> {
  for (const [index, event] of events.entries()) {
    if (res.destroyed) return
    if (index > 0 && intervalMs > 0) await sleep(intervalMs)
    if (res.destroyed) return
    const written = stamp ? stampedEvent(event) : event
    onBytes(Buffer.byteLength(written))
    res.write(written)
  }
}
