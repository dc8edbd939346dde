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

/** Write events with a pause between them, stopping early when the client is gone. */
export async function writeEvents(
  res: ServerResponse,
  events: readonly string[],
  intervalMs: number,
  onBytes: (bytes: number) => void = () => {},
): Promise<void> {
  for (const [index, event] of events.entries()) {
    if (res.destroyed) return
    if (index > 0 && intervalMs > 0) await sleep(intervalMs)
    if (res.destroyed) return
    onBytes(Buffer.byteLength(event))
    res.write(event)
  }
}
