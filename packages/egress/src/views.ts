import type { EgressRow } from '@sfp/db'
import { displayProxyUrl, type EgressView } from '@sfp/schemas'
import { effectiveState, stateExplanation, stateReason } from './egress-states.js'
import type { LaneInfo } from './types.js'

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString())

/** The URL an answer shows: `direct`, or the proxy URL with its password as `***`. */
export function displayUrl(row: EgressRow): string {
  if (row.kind === 'direct' || row.host === null || row.port === null) return 'direct'
  return displayProxyUrl({
    scheme: row.scheme === 'direct' ? 'http' : row.scheme,
    host: row.host,
    port: row.port,
    username: row.username,
    hasPassword: row.password !== null,
  })
}

/** An egress as every answer shows it: never its password. */
export function toEgressView(
  row: EgressRow,
  lane: ReturnType<LaneInfo['of']>,
  directAllowed: boolean,
  now: number,
): EgressView {
  const state = effectiveState(row, directAllowed, now)
  return {
    id: row.id,
    label: row.label,
    kind: row.kind,
    url: displayUrl(row),
    localAddress: row.localAddress,
    enabled: row.enabled,
    state,
    stateReason: stateReason(row, directAllowed, now),
    stateExplanation: stateExplanation(row, directAllowed, now),
    blockedUntil: state === 'blocked' ? iso(row.blockedUntil) : null,
    retryAt: state === 'down' ? iso(row.retryAt) : null,
    currentKeyId: lane.currentKeyId,
    lastUsedAt: iso(row.lastUsedAt),
    nextSwitchAllowedAt: iso(lane.nextSwitchAllowedAt),
    inFlight: lane.inFlight,
    requestCount: row.requestCount,
    errorCount: row.errorCount,
    createdAt: new Date(row.createdAt).toISOString(),
  }
}
