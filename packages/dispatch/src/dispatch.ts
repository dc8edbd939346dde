import type { EgressService } from '@sfp/egress'
import type { KeyPool, KeysInUse, UpstreamGate } from '@sfp/key-pool'
import { type Clock, systemClock } from '@sfp/runtime'
import type { DispatchStatus, KeySwitchPolicy, LaneStatus, SwitchGuardStatus } from '@sfp/schemas'
import { retryAfterSeconds } from './errors.js'
import type { Refusal } from './key-chooser.js'
import type { Lane } from './lane.js'
import { LaneScheduler } from './lane-scheduler.js'
import { LaneSet } from './lane-set.js'
import type { LaneLease } from './lease.js'
import { createListenerSet } from './listeners.js'
import { laneRefusal } from './refusals.js'
import type { Dispatch, KeySwitchEvent, LaneHolding } from './types.js'

export interface DispatchDeps {
  pool: KeyPool
  egress: EgressService
  /** DISPATCH_CONCURRENCY: slots per lane. */
  concurrency: number
  queueMax: number
  /** CLIENT_QUEUE_SHARE: the share of `queueMax` one client key may hold. */
  clientQueueShare: number
  queueTimeoutMs: number
  guardMinutes: number
  policy: KeySwitchPolicy
  clock?: Clock
  /** Errors of change listeners and leaked leases; they must not break the request that hit them. */
  reportError?: (error: unknown) => void
  /** INSTANCE_ID: the driver of every lane in single mode (the status's `drivenBy`). */
  instanceId?: string
}

/** Single mode: this process drives every lane. */
export function soleHolding(instanceId: string): LaneHolding {
  return {
    instanceId,
    holds: () => true,
    maySend: () => true,
    gaining: () => false,
    driverOf: () => instanceId,
    databaseReachable: () => true,
    retryAt: (now) => now,
    claimKey: () => true,
    keyTakenUntil: () => 0,
  }
}

export interface DispatchService extends Dispatch {
  /** For `pool.useUpstreamGate`: balance and validity checks go through their key's own lane. */
  upstreamGate: UpstreamGate
  /** For `pool.useKeysInUse`. */
  keysInUse: KeysInUse
  /** Shutdown: waiters reject with ShuttingDown, later leases too; guard timers stop. */
  close(): void
}

const blockedView = (refusal: Refusal | null, now: number): SwitchGuardStatus['blocked'] =>
  refusal === null
    ? null
    : {
        code: refusal.code,
        message: refusal.message,
        explanation: refusal.explanation,
        retryAfterSeconds:
          refusal.retryAt === null || !Number.isFinite(refusal.retryAt)
            ? null
            : retryAfterSeconds(refusal.retryAt - now),
      }

/**
 * The lanes, their queue and their leases put together (README "Egress lanes"): the one owner of
 * every upstream call's life, proxied or a balance check. Each lane's key, guard memory and slots
 * have this one home.
 */
export function createDispatch(deps: DispatchDeps): DispatchService {
  const { pool, egress } = deps
  const clock = deps.clock ?? systemClock
  const { now } = clock
  const reportError = deps.reportError ?? ((error: unknown) => console.error(error))
  const listeners = createListenerSet(reportError)
  const switchListeners = createListenerSet<KeySwitchEvent>(reportError)
  let holding = soleHolding(deps.instanceId ?? 'local')
  const lanes = new LaneSet({
    holding: () => holding,
    egress,
    pool,
    concurrency: deps.concurrency,
    guardMinutes: deps.guardMinutes,
    policy: deps.policy,
    clock,
    reportError,
    onGuardChange: listeners.notify,
  })
  const scheduler = new LaneScheduler({
    lanes,
    context: {
      pool,
      egress,
      now,
      beforeSend(lane, dispatcher) {
        if (holding.maySend(lane.id) || egress.wasCut(lane.id, dispatcher)) return
        // The lease ran out since the grant: cut, so this call fails (and moves) unsent.
        egress.cut(lane.id)
        scheduler.pump()
        listeners.notify()
      },
      switched(lane, fromKeyId, toKeyId) {
        switchListeners.notify({ laneId: lane.id, fromKeyId, toKeyId })
      },
    },
    queueMax: deps.queueMax,
    clientQueueShare: deps.clientQueueShare,
    queueTimeoutMs: deps.queueTimeoutMs,
    clock,
    changed: listeners.notify,
    reportError,
  })
  const unsubscribe = [
    pool.onChange(() => {
      scheduler.pump()
      listeners.notify()
    }),
    egress.onChange(() => {
      lanes.sync()
      scheduler.pump()
      listeners.notify()
    }),
  ]

  /** The lane's key as the views show it: null once the key is deleted. */
  const currentKeyOf = (lane: Lane) => {
    const id = lane.currentKeyId()
    return id !== null && pool.row(id) ? id : null
  }

  egress.useLaneInfo({
    of(id) {
      const lane = lanes.get(id)
      if (lane === undefined) return { currentKeyId: null, nextSwitchAllowedAt: null, inFlight: 0 }
      const { nextSwitchAllowedAt } = lane.guard.status()
      return {
        currentKeyId: currentKeyOf(lane),
        nextSwitchAllowedAt: nextSwitchAllowedAt === null ? null : Date.parse(nextSwitchAllowedAt),
        inFlight: lane.inFlight,
      }
    },
  })

  // Keys of the lanes this process drives: another instance checks its own lanes' keys.
  const keysInUse: KeysInUse = {
    has(id) {
      for (const lane of lanes.active()) {
        if (lane.currentKeyId() !== id || !lanes.held(lane)) continue
        if (lane.egress.state() !== 'disabled') return true
      }
      return false
    },
    /** For the periodic refresh: keys of lanes that can go out now (a resting lane waits). */
    *all() {
      for (const lane of lanes.active()) {
        const id = currentKeyOf(lane)
        if (id !== null && lane.egress.state() === 'up' && lanes.held(lane)) yield id
      }
    },
    primary() {
      const lane = lanes.primary()
      return lane === undefined ? null : currentKeyOf(lane)
    },
  }

  /**
   * A balance check sends its key upstream like a request, through the key's own lane and under
   * that lane's guard (README "Egress lanes", rule 4): a check of a key other than the lane's,
   * inside its window, is refused under `wait`; otherwise it is a use of that key, which becomes
   * the lane's key (a `switch` key event says so).
   */
  const upstreamGate: UpstreamGate = async (keyId, task, signal, stillWanted) => {
    const lease = (await scheduler.lease({ keyId, signal, stillWanted })) as LaneLease
    try {
      const result = await task({
        signal: signal ?? new AbortController().signal,
        dispatcher: lease.dispatcher,
      })
      lease.closeCall(true)
      return result
    } finally {
      lease.release()
    }
  }

  function laneStatus(lane: Lane, time: number): LaneStatus {
    const verdict = lanes.verdict(lane, time)
    const refusal = verdict?.kind === 'refused' ? laneRefusal(verdict.refusal) : null
    const dispatch: DispatchStatus = {
      concurrency: lane.concurrency,
      inFlight: lane.inFlight,
      queued: scheduler.pinnedTo(lane.id),
      queueMax: deps.queueMax,
      oldestWaitMs: 0,
    }
    return {
      id: lane.id,
      label: lane.egress.label,
      state: lane.egress.state(time),
      drivenBy: lanes.held(lane) ? holding.instanceId : holding.driverOf(lane.id),
      dispatch,
      switchGuard: {
        ...lane.guard.status(),
        currentKeyId: currentKeyOf(lane),
        blocked: blockedView(refusal, time),
      },
    }
  }

  return {
    upstreamGate,
    keysInUse,
    lease: (options = {}) => scheduler.lease(options),
    leaseKey: (options) => scheduler.lease(options),
    activate(keyId) {
      const bound = pool.row(keyId)?.egressId
      const lane = (bound == null ? undefined : lanes.get(bound)) ?? lanes.activationLane()
      pool.activate(keyId, {
        code: 'activation_override',
        params: { egressId: lane === undefined ? null : lane.id },
      })
      if (lane === undefined) return null
      // Cluster mode: another instance drives the key's lane; it keeps its key until its own
      // chooser takes this one (an override there would be a second writer of its guard).
      if (!lanes.held(lane)) return lane.id
      lanes.bind(lane, keyId)
      lane.guard.recordOverride(keyId)
      scheduler.pump()
      listeners.notify()
      return lane.id
    },
    status() {
      const time = now()
      const egresses = [...lanes.active()].map((lane) => laneStatus(lane, time))
      let concurrency = 0
      let inFlight = 0
      for (const lane of egresses) {
        if (lane.state !== 'disabled') concurrency += lane.dispatch.concurrency
        inFlight += lane.dispatch.inFlight
      }
      const primary = lanes.primary()
      const primaryStatus = egresses.find((lane) => lane.id === primary?.id)
      const switchGuard: SwitchGuardStatus = {
        ...(primaryStatus?.switchGuard ?? {
          policy: deps.policy,
          minutes: deps.guardMinutes,
          currentKeyId: null,
          lastUsedKeyId: null,
          lastUsedAt: null,
          lastSwitchAt: null,
          nextSwitchAllowedAt: null,
        }),
        blocked: blockedView(scheduler.refusalNow(), time),
      }
      return {
        dispatch: { concurrency, inFlight, ...scheduler.status() },
        switchGuard,
        egresses,
      }
    },
    onChange: (listener) => listeners.add(listener),
    onSwitch: (listener) => switchListeners.add(listener),
    serve() {
      scheduler.pump()
      listeners.notify()
    },
    useLaneHolding(next) {
      holding = next
      scheduler.pump()
      listeners.notify()
    },
    laneGained(laneId) {
      lanes.reloadGuard(laneId)
      scheduler.pump()
      listeners.notify()
    },
    drain(laneId, signal) {
      const idle = () => (lanes.get(laneId)?.inFlight ?? 0) === 0
      if (idle()) return Promise.resolve()
      return new Promise<void>((resolve) => {
        const done = () => {
          stop()
          signal.removeEventListener('abort', cutAndGo)
          resolve()
        }
        const cutAndGo = () => {
          egress.cut(laneId)
          done()
        }
        const stop = listeners.add(() => {
          if (idle()) done()
        })
        signal.addEventListener('abort', cutAndGo, { once: true })
      })
    },
    cut(laneId) {
      egress.cut(laneId)
      scheduler.pump()
      listeners.notify()
    },
    close() {
      scheduler.close()
      lanes.close()
      for (const stop of unsubscribe.splice(0)) stop()
      listeners.clear()
      switchListeners.clear()
    },
  }
}
