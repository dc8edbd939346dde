import type { UpstreamKeyRow } from '@sfp/db'
import type { CurrentKeyState, KeySelection } from './types.js'

type KeyState = Pick<UpstreamKeyRow, 'id' | 'status' | 'cooldownUntil'>

/** Cooling and error keys wait for their cooldown; after it they may serve again. */
function isWaiting(key: KeyState): boolean {
  return key.status === 'cooling' || key.status === 'error'
}

/** `active`, or `cooling`/`error` whose cooldown has passed. */
export function isUsable(key: KeyState, now: number): boolean {
  return key.status === 'active' || (isWaiting(key) && (key.cooldownUntil ?? 0) <= now)
}

export function currentState(key: KeyState): CurrentKeyState {
  return { keyId: key.id, status: key.status, cooldownUntil: key.cooldownUntil }
}

/**
 * Which key the next attempt should use. The key in use stays while usable (no scan); otherwise
 * the earliest-created `active` key, then the earliest `error`/`cooling` key past its cooldown.
 * `keys` must iterate in creation (id) order. Reads only.
 * @see CONTRACT §4 "Order"
 */
export function selectKey(
  keys: Iterable<KeyState>,
  current: KeyState | undefined,
  now: number,
): KeySelection {
  if (current && isUsable(current, now)) return { kind: 'current', keyId: current.id }
  const currentView = current ? currentState(current) : null
  let recovered: KeyState | undefined
  let retryAt: number | null = null
  for (const key of keys) {
    if (key.status === 'active') return { kind: 'switch', keyId: key.id, current: currentView }
    if (!isWaiting(key)) continue
    const until = key.cooldownUntil ?? 0
    if (until <= now) recovered ??= key
    else retryAt = retryAt === null ? until : Math.min(retryAt, until)
  }
  if (recovered) return { kind: 'switch', keyId: recovered.id, current: currentView }
  return { kind: 'none', current: currentView, retryAt }
}
