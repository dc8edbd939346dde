import type { StatusView } from '@sfp/schemas'

/**
 * What of the live status shows on the Egress page: the lanes, their labels and states, the key
 * each uses and the requests in flight. A change reloads the list (throttled).
 */
export function laneSignature(status: StatusView): string {
  return JSON.stringify(
    status.egresses.map((lane) => [
      lane.id,
      lane.label,
      lane.state,
      lane.switchGuard.currentKeyId,
      lane.dispatch.inFlight,
    ]),
  )
}
