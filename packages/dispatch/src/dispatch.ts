import type { KeyEventsRepository, SettingsStore } from '@sfp/db'
import { CheckNotNeeded, type KeyPool, type UpstreamGate } from '@sfp/key-pool'
import type { KeySwitchPolicy, SwitchGuardStatus } from '@sfp/schemas'
import { retryAfterSeconds } from './errors.js'
import { decideKey, guardRefusal, refusalError } from './key-chooser.js'
import { createListenerSet } from './listeners.js'
import { createSlotGate, type SetTimer } from './slot-gate.js'
import { createSwitchGuard, type SwitchGuardService } from './switch-guard.js'
import type { Dispatch, DispatchSlot, KeySwitchEvent } from './types.js'

export interface DispatchDeps {
  pool: KeyPool
  /** Keeps the switch guard's memory across restarts. */
  settings: SettingsStore
  /** Receives the `check` events of balance checks that switched keys under `immediate`. */
  keyEvents: KeyEventsRepository
  concurrency: number
  queueMax: number
  queueTimeoutMs: number
  guardMinutes: number
  policy: KeySwitchPolicy
  now?: () => number
  setTimer?: SetTimer
  /** Errors of change listeners and leaked slots; they must not break the request that hit them. */
  reportError?: (error: unknown) => void
}

export interface DispatchService extends Dispatch {
  guard: SwitchGuardService
  /** Run `task` holding a slot, released however it ends: the leak-proof way to hold one. */
  withSlot<T>(task: (slot: DispatchSlot) => Promise<T>, signal?: AbortSignal): Promise<T>
  /** For `pool.useUpstreamGate`: balance and validity checks queue like proxied requests. */
  upstreamGate: UpstreamGate
  /** Shutdown: waiters reject with ShuttingDown, later acquires too; listeners are dropped. */
  close(): void
}

/**
 * The slot gate, the switch guard and the key pool put together (CONTRACT §5). Every upstream call
 * holds a slot; `chooseKey` runs inside it, so the guard's view cannot change between the
 * decision and the call it guards.
 */
export function createDispatch(deps: DispatchDeps): DispatchService {
  const { pool, keyEvents, now = Date.now } = deps
  const reportError = deps.reportError ?? ((error: unknown) => console.error(error))
  const gate = createSlotGate({
    concurrency: deps.concurrency,
    queueMax: deps.queueMax,
    queueTimeoutMs: deps.queueTimeoutMs,
    now,
    reportError,
    ...(deps.setTimer ? { setTimer: deps.setTimer } : {}),
  })
  const guard = createSwitchGuard({
    minutes: deps.guardMinutes,
    policy: deps.policy,
    now,
    store: deps.settings,
    reportError,
    ...(deps.setTimer ? { setTimer: deps.setTimer } : {}),
  })
  const listeners = createListenerSet(reportError)
  const switchListeners = createListenerSet<KeySwitchEvent>(reportError)
  const unsubscribe = [gate, guard, pool].map((source) => source.onChange(listeners.notify))

  function blockedNow(time: number): SwitchGuardStatus['blocked'] {
    const decision = decideKey(pool.select(time), guard, time)
    if (decision.kind !== 'refuse') return null
    const { code, message, retryAt } = decision
    return {
      code,
      message,
      retryAfterSeconds: retryAt === null ? null : retryAfterSeconds(retryAt - time),
    }
  }

  /**
   * A balance or validity check sends its key upstream like any request, so the guard applies to
   * it (CONTRACT §5: admin activation is the one override). Checking a key other than the one
   * last used, inside the window, is refused under `wait`; otherwise the check is a use of that
   * key, and one inside the window under `immediate` is recorded as a `check` key event.
   */
  async function upstreamGate<T>(
    keyId: number,
    task: (signal: AbortSignal) => Promise<T>,
    signal?: AbortSignal,
    stillWanted?: () => boolean,
  ): Promise<T> {
    return gate.withSlot(async () => {
      if (stillWanted && !stillWanted()) throw new CheckNotNeeded()
      const time = now()
      const verdict = guard.check(keyId, time)
      if (verdict.kind === 'switch-in-window') {
        if (!verdict.allowed) {
          const why = `a balance check of key #${keyId} while key #${verdict.fromKeyId} is the one last used`
          const hint = `Make key #${keyId} the key in use first (an admin override), or set KEY_SWITCH_POLICY=immediate.`
          throw refusalError(guardRefusal(why, verdict.windowEndsAt, guard, time, hint), time)
        }
        keyEvents.append({
          time,
          keyId,
          type: 'check',
          reason: `balance check sent key #${keyId} upstream ${guard.minutes} minutes or less after key #${verdict.fromKeyId} (KEY_SWITCH_POLICY=immediate)`,
        })
      }
      const epoch = guard.epoch()
      guard.recordUse(keyId)
      const result = await task(signal ?? new AbortController().signal)
      guard.recordUse(keyId, epoch)
      return result
    }, signal)
  }

  return {
    guard,
    acquire: gate.acquire,
    withSlot: gate.withSlot,
    upstreamGate,
    chooseKey() {
      const time = now()
      const decision = decideKey(pool.select(time), guard, time)
      if (decision.kind === 'refuse') throw refusalError(decision, time)
      if (decision.kind === 'switch') pool.setCurrent(decision.keyId, decision.reason)
      const secret = pool.secret(decision.keyId)
      guard.recordUse(decision.keyId)
      if (decision.kind === 'switch') {
        switchListeners.notify({ fromKeyId: decision.fromKeyId, toKeyId: decision.keyId })
      }
      const switched = decision.kind === 'switch'
      return { keyId: decision.keyId, secret, switched, guardEpoch: guard.epoch() }
    },
    status() {
      const time = now()
      return {
        dispatch: gate.status(),
        switchGuard: {
          ...guard.status(),
          currentKeyId: pool.currentKeyId(),
          blocked: blockedNow(time),
        },
      }
    },
    onChange: (listener) => listeners.add(listener),
    onSwitch: (listener) => switchListeners.add(listener),
    close() {
      gate.close()
      guard.close()
      for (const stop of unsubscribe.splice(0)) stop()
      listeners.clear()
      switchListeners.clear()
    },
  }
}
