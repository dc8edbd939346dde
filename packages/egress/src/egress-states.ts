import type { EgressPatch, EgressRow } from '@sfp/db'
import {
  type EgressState,
  type Explanation,
  type ExplanationOf,
  explanationText,
  readExplanation,
} from '@sfp/schemas'

/** First rest of a `down` egress; doubled per failure in a row, capped. */
export const DOWN_FIRST_MS = 30_000
export const DOWN_MAX_MS = 10 * 60_000

/** 30 s, 60 s, 120 s ... for the 1st, 2nd, 3rd way-out failure in a row, capped at 10 minutes. */
export function downBackoffMs(failures: number): number {
  return Math.min(DOWN_FIRST_MS * 2 ** Math.max(0, failures - 1), DOWN_MAX_MS)
}

type StateFields = Pick<
  EgressRow,
  'enabled' | 'builtin' | 'state' | 'blockedUntil' | 'retryAt' | 'stateReason' | 'stateExplanation'
>

/**
 * The state an egress is in at `now`. `disabled` is the admin's flag (or EGRESS_DIRECT=false for
 * the built-in one); a block that has run out is `up` even before its timer has written so.
 */
export function effectiveState(row: StateFields, directAllowed: boolean, now: number): EgressState {
  if (!row.enabled || (row.builtin && !directAllowed)) return 'disabled'
  if (row.state === 'blocked' && (row.blockedUntil ?? 0) <= now) return 'up'
  return row.state
}

export function stateReason(row: StateFields, directAllowed: boolean, now: number): string | null {
  switch (effectiveState(row, directAllowed, now)) {
    case 'up':
      return null
    case 'disabled':
      return row.enabled ? 'EGRESS_DIRECT=false' : 'disabled by admin'
    default:
      return row.stateReason
  }
}

/** The same as `stateReason`, as a code the dashboard translates; null for rows without one. */
export function stateExplanation(
  row: StateFields,
  directAllowed: boolean,
  now: number,
): Explanation | null {
  switch (effectiveState(row, directAllowed, now)) {
    case 'up':
      return null
    case 'disabled':
      return row.enabled
        ? { code: 'egress_direct_off', params: {} }
        : { code: 'egress_disabled_by_admin', params: {} }
    default:
      return readExplanation(row.stateExplanation)
  }
}

/** The patch that puts an egress `down` after one more way-out failure. */
export function downPatch(
  row: Pick<EgressRow, 'failures'>,
  why: ExplanationOf<'egress_down'>,
  now: number,
): EgressPatch {
  const failures = row.failures + 1
  return {
    state: 'down',
    stateReason: explanationText(why),
    stateExplanation: why,
    failures,
    retryAt: now + downBackoffMs(failures),
    blockedUntil: null,
    updatedAt: now,
  }
}

export function blockedPatch(
  why: ExplanationOf<'egress_blocked'>,
  now: number,
  blockMs: number,
): EgressPatch {
  return {
    state: 'blocked',
    stateReason: explanationText(why),
    stateExplanation: why,
    blockedUntil: now + blockMs,
    retryAt: null,
    updatedAt: now,
  }
}

export function upPatch(now: number): EgressPatch {
  return {
    state: 'up',
    stateReason: null,
    stateExplanation: null,
    failures: 0,
    retryAt: null,
    blockedUntil: null,
    updatedAt: now,
  }
}
