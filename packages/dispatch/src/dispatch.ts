import type { KeyEventsRepository, SettingsStore } from '@sfp/db'
import type { KeyPool, UpstreamGate } from '@sfp/key-pool'
import type { KeySwitchPolicy, SwitchGuardStatus } from '@sfp/schemas'
import { retryAfterSeconds } from './errors.js'
import { decideKey, refusalError } from './key-chooser.js'
import { createListenerSet } from './listeners.js'
import { createSlotGate, type SetTimer } from './slot-gate.js'
import { createSwitchGuard, type SwitchGuardService } from './switch-guard.js'
import type { Dispatch, DispatchSlot, KeySwitchEvent } from './types.js'

export interface DispatchDeps {
  pool: KeyPool
  /** Keeps the switch guard's memory across restarts. */
  settings: SettingsStore
  /** Receives the `override` events of balance checks on keys other than the one last used. */
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
   * A check of the key last used (or of the first key) is an ordinary use. A check of any other
   * key is the admin's deliberate probe: recorded as an `override`, and left out of the guard's
   * memory so that it does not hold the service back for a whole window.
   */
  async function upstreamGate<T>(
    keyId: number,
    task: (signal: AbortSignal) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    return gate.withSlot(async () => {
      const lastUsedKeyId = guard.memory().lastUsedKeyId
      const probe = lastUsedKeyId !== null && lastUsedKeyId !== keyId
      if (probe) {
        keyEvents.append({
          time: now(),
          keyId,
          type: 'override',
          reason: `balance check sent key #${keyId} upstream while key #${lastUsedKeyId} was the last used; switch guard memory unchanged`,
        })
      } else {
        guard.recordUse(keyId)
      }
      const result = await task(signal ?? new AbortController().signal)
      if (!probe) guard.recordUse(keyId)
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
      return { keyId: decision.keyId, secret, switched: decision.kind === 'switch' }
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
      guard.flush()
      for (const stop of unsubscribe.splice(0)) stop()
      listeners.clear()
      switchListeners.clear()
    },
  }
}
