import type { DispatchStatus, KeySwitchPolicy, SwitchGuardStatus } from '@sfp/schemas'

/**
 * The dispatch plugin's public surface (CONTRACT §5), fixed before the implementation so the
 * proxy and the key pool can be built against it.
 */

/** A place among the upstream calls in flight. */
export interface DispatchSlot {
  /** How long the holder waited in the queue, ms. */
  readonly waitedMs: number
  /** Give the slot to the next waiter. Idempotent: the second and later calls do nothing. */
  release(): void
}

/** The key an attempt should use, chosen under the switch guard. */
export interface KeyChoice {
  keyId: number
  secret: string
  /** True when this choice changed the key in use. */
  switched: boolean
  /** The guard's override epoch at the choice: pass it to `guard.recordUse` when the call ends. */
  guardEpoch: number
}

export interface SwitchGuard {
  /**
   * Remember that `keyId` was sent upstream now (start and end of every upstream call). With
   * `since` (the `guardEpoch` of the call's KeyChoice), a call that ends after an admin override
   * of another key leaves the guard's memory to the override.
   */
  recordUse(keyId: number, since?: number): void
  /** The admin made `keyId` the key in use: allowed inside the window, recorded as an override. */
  recordOverride(keyId: number): void
  status(): Omit<SwitchGuardStatus, 'currentKeyId' | 'blocked'>
  policy: KeySwitchPolicy
}

export type DispatchChangeListener = () => void

/** `chooseKey` changed the key in use (admin activations are overrides, not switches). */
export interface KeySwitchEvent {
  /** The key in use, or else the key last sent upstream, before; null for the very first key. */
  fromKeyId: number | null
  toKeyId: number
}

export type KeySwitchListener = (event: KeySwitchEvent) => void

export interface Dispatch {
  /**
   * Wait for a slot, first in first out. Rejects with the package's QueueFull (queue at
   * DISPATCH_QUEUE_MAX), QueueTimeout (waited DISPATCH_QUEUE_TIMEOUT_MS), ShuttingDown, or the
   * signal's reason when the client leaves while waiting (it leaves the queue at once).
   */
  acquire(signal?: AbortSignal): Promise<DispatchSlot>
  /**
   * Choose the key for the next attempt, and record its use with the guard; call while holding
   * a slot. The proxy calls `guard.recordUse(keyId, choice.guardEpoch)` again when the upstream
   * call ends. Throws KeySwitchGuard (503 + Retry-After), RateLimited (429 + Retry-After, the
   * key in use is cooling and no switch is allowed) or NoAvailableKey (503).
   */
  chooseKey(): KeyChoice
  guard: SwitchGuard
  status(): { dispatch: DispatchStatus; switchGuard: SwitchGuardStatus }
  /** Called after any change the status would show (slot taken/released, queue, guard). */
  onChange(listener: DispatchChangeListener): () => void
  /** Called after `chooseKey` switched keys (for the key switch counter of /metrics). */
  onSwitch(listener: KeySwitchListener): () => void
}
