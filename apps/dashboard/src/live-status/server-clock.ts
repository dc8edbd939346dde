import type { StatusView } from '@sfp/schemas'

/** Offsets smaller than this are rounding (uptime is whole seconds) and network delay. */
const IGNORED_SKEW_MS = 2000

/**
 * How far the server's clock is ahead of this browser's, estimated from `startedAt + uptime`.
 * Countdowns to server times (the switch guard) would otherwise be off by the skew.
 */
export function serverClockOffsetMs(status: StatusView, receivedAt = Date.now()): number {
  const serverNow = Date.parse(status.startedAt) + status.uptimeSeconds * 1000
  const offset = serverNow - receivedAt
  return Math.abs(offset) < IGNORED_SKEW_MS ? 0 : offset
}
