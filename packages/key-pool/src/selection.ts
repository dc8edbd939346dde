import type { UpstreamKeyRow } from '@sfp/db'
import type { CurrentKeyState, KeySelection, LaneKeys } from './types.js'

type KeyState = Pick<
  UpstreamKeyRow,
  'id' | 'status' | 'cooldownUntil' | 'egressId' | 'egressUsedAt'
> &
  Partial<Pick<UpstreamKeyRow, 'blockedModels'>>

/** Cooling and error keys wait for their cooldown; after it they may serve again. */
function isWaiting(key: KeyState): boolean {
  return key.status === 'cooling' || key.status === 'error'
}

/** `active`, or `cooling`/`error` whose cooldown has passed. */
export function isUsable(key: KeyState, now: number): boolean {
  return key.status === 'active' || (isWaiting(key) && (key.cooldownUntil ?? 0) <= now)
}

/** Whether upstream refused `model` to this key (a 403 with its balance fine). */
export function refusesModel(key: Pick<KeyState, 'blockedModels'>, model: string | undefined) {
  return model !== undefined && (key.blockedModels?.includes(model) ?? false)
}

export function currentState(key: KeyState): CurrentKeyState {
  return { keyId: key.id, status: key.status, cooldownUntil: key.cooldownUntil }
}

/** Candidate tiers, best first: usable `active` keys before recovered ones, own before others'. */
const ACTIVE_FREE = 0
const ACTIVE_OTHER = 1
const RECOVERED_FREE = 2
const RECOVERED_OTHER = 3

/**
 * Which key lane `lane` should use next. Its key stays while usable (no scan); otherwise the
 * earliest-created `active` key, then the earliest `error`/`cooling` key past its cooldown, among
 * the keys that may go through this lane now. Keys bound to no other lane come first: a key of
 * another lane is only taken once it has rested there for the guard window (the lane's
 * `availableAt`). `keys` must iterate in creation (id) order. Reads only.
 *
 * With `model` (the request's), keys that upstream refused that model are never proposed: a
 * lane whose key may serve but not this model answers `switch` with `forModel` (the guard decides
 * whether moving for it is allowed), and `none` says `blockedFor` when keys were passed over only
 * because of the model.
 * @see README.md (repository root), "Egress lanes"
 */
export function selectKey(
  keys: Iterable<KeyState>,
  current: KeyState | undefined,
  lane: LaneKeys,
  now: number,
  model?: string,
): KeySelection {
  const currentServes = current && isUsable(current, now) && lane.availableAt(current) <= now
  if (current && currentServes && !refusesModel(current, model)) {
    return { kind: 'current', keyId: current.id }
  }
  const currentView = current ? currentState(current) : null
  // The lane's key serves, only not this model: moving away is for the model's sake alone.
  const forModel = currentServes && model !== undefined ? { forModel: model } : {}
  let blockedFor: string | undefined
  const best: (KeyState | undefined)[] = [undefined, undefined, undefined, undefined]
  let retryAt: number | null = null
  for (const key of keys) {
    const active = key.status === 'active'
    if (!active && !isWaiting(key)) continue
    if (refusesModel(key, model)) {
      blockedFor = model
      continue
    }
    const availableAt = lane.availableAt(key)
    const usableAt = Math.max(availableAt, active ? 0 : (key.cooldownUntil ?? 0))
    if (usableAt > now) {
      // Infinity: in flight on another lane, usable at a time nobody knows yet.
      if (Number.isFinite(usableAt))
        retryAt = retryAt === null ? usableAt : Math.min(retryAt, usableAt)
      continue
    }
    const own = key.egressId === null || key.egressId === lane.id
    const tier = active
      ? own
        ? ACTIVE_FREE
        : ACTIVE_OTHER
      : own
        ? RECOVERED_FREE
        : RECOVERED_OTHER
    if (tier === ACTIVE_FREE)
      return { kind: 'switch', keyId: key.id, current: currentView, ...forModel }
    best[tier] ??= key
  }
  const chosen = best.find((key) => key !== undefined)
  if (chosen) return { kind: 'switch', keyId: chosen.id, current: currentView, ...forModel }
  return {
    kind: 'none',
    current: currentView,
    retryAt,
    ...(blockedFor === undefined ? {} : { blockedFor }),
  }
}
