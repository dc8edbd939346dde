import type { EgressState, Explanation } from '@sfp/schemas'
import type { Refusal } from './key-chooser.js'

/** Why one lane cannot take a request now. */
export type LaneRefusal =
  /** The lane is up but its keys and guard refuse. */
  | { kind: 'key'; laneId: number; refusal: Refusal }
  /** The egress itself is out: `down` (until `backAt`, its retry) or `blocked` (until `backAt`). */
  | {
      kind: 'egress'
      laneId: number
      state: Exclude<EgressState, 'up' | 'disabled'>
      backAt: number | null
      reason: string | null
    }
  /** Cluster mode: the lane is driven by another instance, or its lease lapsed. */
  | {
      kind: 'not_held'
      laneId: number
      instanceId: string
      /** `database`: this instance cannot renew its leases (PostgreSQL unreachable). */
      reason: 'elsewhere' | 'database'
      retryAt: number
    }

const iso = (ms: number) => new Date(ms).toISOString()

function egressOut(out: Extract<LaneRefusal, { kind: 'egress' }>): Explanation {
  const until = out.backAt === null || !Number.isFinite(out.backAt) ? null : iso(out.backAt)
  return { code: 'egress_out', params: { egressId: out.laneId, state: out.state, until } }
}

function earliest(times: readonly (number | null)[]): number | null {
  let first: number | null = null
  for (const time of times) {
    if (time === null || !Number.isFinite(time)) continue
    first = first === null ? time : Math.min(first, time)
  }
  return first
}

/**
 * The one refusal a request gets when no lane can serve it now or later. With a lane up, its
 * key refusal speaks (the earliest to end; with a single lane exactly what one IP would say),
 * Retry-After being the earliest time any lane may serve again. With every enabled egress out:
 * 503 egress_blocked when the only reason is one blocked egress (the original program's
 * `ip_blocked`), else no_available_egress until the earliest block end or retry.
 */
export function combineRefusals(refusals: readonly LaneRefusal[]): Refusal {
  const allTimes = refusals.map((refusal) =>
    refusal.kind === 'key'
      ? refusal.refusal.retryAt
      : refusal.kind === 'egress'
        ? refusal.backAt
        : refusal.retryAt,
  )
  const retryAt = earliest(allTimes)
  const keyRefusals = refusals.flatMap((refusal) => (refusal.kind === 'key' ? [refusal] : []))
  if (keyRefusals.length > 0) {
    const [first, ...rest] = keyRefusals
    let best = first as (typeof keyRefusals)[number]
    for (const candidate of rest) {
      const at = candidate.refusal.retryAt ?? Number.POSITIVE_INFINITY
      if (at < (best.refusal.retryAt ?? Number.POSITIVE_INFINITY)) best = candidate
    }
    const others = refusals.length - 1
    const message =
      others === 0
        ? best.refusal.message
        : `${best.refusal.message} (${others} other egress${others === 1 ? '' : 'es'} cannot serve either.)`
    return { ...best.refusal, message, retryAt }
  }
  const notHeld = refusals.flatMap((refusal) => (refusal.kind === 'not_held' ? [refusal] : []))
  const outs = refusals.flatMap((refusal) => (refusal.kind === 'egress' ? [refusal] : []))
  const lapsed = notHeld.find((refusal) => refusal.reason === 'database')
  if (lapsed !== undefined) return notHeldRefusal(lapsed, retryAt)
  const elsewhere = notHeld[0]
  if (outs.length === 0 && elsewhere !== undefined) return notHeldRefusal(elsewhere, retryAt)
  const only = outs.length === 1 ? outs[0] : undefined
  if (only !== undefined && only.state === 'blocked') {
    const until = only.backAt === null ? '' : ` until ${iso(only.backAt)}`
    return {
      kind: 'refuse',
      code: 'egress_blocked',
      message: `SiliconFlow blocked the IP of egress #${only.laneId}; it rests${until}. Add another egress (a proxy) to keep serving meanwhile.`,
      retryAt,
      explanation: egressOut(only),
    }
  }
  const summary =
    outs.length === 0
      ? 'no egress is enabled: enable one, or add a proxy in the dashboard'
      : outs
          .map(
            (out) => `egress #${out.laneId} is ${out.state}${out.reason ? ` (${out.reason})` : ''}`,
          )
          .join('; ')
  const when = retryAt === null ? '' : ` The earliest is back at ${iso(retryAt)}.`
  return {
    kind: 'refuse',
    code: 'no_available_egress',
    message: `No egress can reach SiliconFlow now: ${summary}.${when}`,
    retryAt,
    explanation: {
      code: 'no_egress',
      params: {
        outs: outs.map((out) => ({ egressId: out.laneId, state: out.state })),
        nextAt: retryAt === null ? null : iso(retryAt),
      },
    },
  }
}

/**
 * No lane this instance drives could serve (cluster mode): 503 database_unavailable when its
 * leases lapsed because PostgreSQL is unreachable, else no_available_egress (the usable lanes are
 * other instances'; the load balancer may send the retry to one of them).
 */
function notHeldRefusal(
  refusal: Extract<LaneRefusal, { kind: 'not_held' }>,
  retryAt: number | null,
): Refusal {
  const { instanceId, reason } = refusal
  const explanation: Explanation = { code: 'no_lane_held', params: { instanceId, reason } }
  return reason === 'database'
    ? {
        kind: 'refuse',
        code: 'database_unavailable',
        message: `Instance ${instanceId} cannot reach its database, so it sends through no egress until it can renew their leases. Try again shortly.`,
        retryAt,
        explanation,
      }
    : {
        kind: 'refuse',
        code: 'no_available_egress',
        message: `Every usable egress is driven by another instance than ${instanceId}; try again (the load balancer may send the request to one of them).`,
        retryAt,
        explanation,
      }
}

/** Why one lane refuses, as its own status says it (not what a request gets: other lanes may serve). */
export function laneRefusal(refusal: LaneRefusal): Refusal {
  if (refusal.kind === 'key') return refusal.refusal
  if (refusal.kind === 'not_held') return notHeldRefusal(refusal, refusal.retryAt)
  const until = refusal.backAt === null ? '' : ` until ${iso(refusal.backAt)}`
  const why = refusal.reason === null ? '' : ` (${refusal.reason})`
  return {
    kind: 'refuse',
    code: refusal.state === 'blocked' ? 'egress_blocked' : 'no_available_egress',
    message: `Egress #${refusal.laneId} is ${refusal.state}${why}${until}.`,
    retryAt: refusal.backAt,
    explanation: egressOut(refusal),
  }
}
