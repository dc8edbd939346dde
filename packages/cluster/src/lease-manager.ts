import { InstanceSupersededError } from './errors.js'
import { shareLanes } from './fair-share.js'
import { createInstanceRegistry } from './instance-registry.js'
import { createLeaseStore } from './lease-store.js'
import type { LaneChange, LeaseManager, LeaseManagerOptions } from './lease-types.js'

type Reported = 'none' | 'usable' | 'draining'

interface Lease {
  token: number
  /** Local time before which the lease is certainly still this instance's. */
  deadline: number
  handingOver: boolean
  /** What `onChange` last said of the lane. */
  reported: Reported
}

/** Lane leases of one instance (docs/behaviour.md §9); the rules are in this package's README. */
export function createLeaseManager(options: LeaseManagerOptions): LeaseManager {
  const { pool, instanceId, leaseMs, clock, lanes, drain } = options
  const drainTimeoutMs = options.drainTimeoutMs ?? leaseMs
  const safetyMarginMs = options.safetyMarginMs ?? Math.floor(leaseMs / 5)
  const onChange = options.onChange ?? (() => {})
  const onError = options.onError ?? (() => {})
  const onDrainError = options.onDrainError ?? ((error: unknown) => onError(error))
  const onRenewed = options.onRenewed ?? (() => {})
  if (!(leaseMs > 0) || safetyMarginMs < 0 || safetyMarginMs >= (leaseMs * 2) / 3) {
    throw new Error('leaseMs must be positive and safetyMarginMs under two thirds of it')
  }
  const renewEveryMs = Math.floor(leaseMs / 3)
  const statementTimeoutMs = Math.max(1, renewEveryMs)
  const registry = createInstanceRegistry({
    pool,
    instanceId,
    address: options.address,
    leaseMs,
    clock,
    statementTimeoutMs,
  })
  const store = createLeaseStore({ pool, instanceId, leaseMs, statementTimeoutMs })

  const leases = new Map<number, Lease>()
  const handovers = new Set<Promise<void>>()
  // Statements on leases run one at a time, so a renewal never crosses a release of one lane.
  let chain: Promise<void> = Promise.resolve()
  let cancelRoundTimer = () => {}
  let cancelDeadlineTimer = () => {}
  let running = false
  let leaving = false

  const serially = (step: () => Promise<void>): Promise<void> => {
    const next = chain.then(step).catch(onError)
    chain = next
    return next
  }

  function usableNow(lease: Lease): boolean {
    return !lease.handingOver && clock.now() < lease.deadline
  }

  /**
   * Compares each lease with what was last reported, tells the difference (with `lost`, the
   * lanes just dropped that were still usable or draining), re-arms the deadline timer.
   */
  function settle(lost: number[] = []): void {
    const change: LaneChange = { gained: [], draining: [], lapsed: [...lost], released: [] }
    const now = clock.now()
    for (const [id, lease] of leases) {
      const status: Reported =
        now >= lease.deadline ? 'none' : lease.handingOver ? 'draining' : 'usable'
      if (status === lease.reported) continue
      if (status === 'usable') change.gained.push(id)
      else if (status === 'draining' && lease.reported === 'usable') change.draining.push(id)
      else if (status === 'none') change.lapsed.push(id)
      lease.reported = status
    }
    emit(change)
    armDeadline(now)
  }

  function emit(change: LaneChange): void {
    const { gained, draining, lapsed, released } = change
    if (gained.length + draining.length + lapsed.length + released.length === 0) return
    for (const list of [gained, draining, lapsed, released]) list.sort((a, b) => a - b)
    onChange(change)
  }

  function armDeadline(now: number): void {
    cancelDeadlineTimer()
    let earliest = Number.POSITIVE_INFINITY
    for (const lease of leases.values()) {
      if (lease.reported !== 'none' && lease.deadline > now) {
        earliest = Math.min(earliest, lease.deadline)
      }
    }
    if (earliest === Number.POSITIVE_INFINITY) return
    cancelDeadlineTimer = clock.setTimer(() => settle(), earliest - now)
  }

  async function renew(): Promise<void> {
    const sent = [...leases]
    const sentAt = clock.now()
    try {
      const renewed = await store.renew(sent.map(([egressId, { token }]) => ({ egressId, token })))
      if (sent.length > 0) onRenewed(clock.now() - sentAt)
      // A lease not renewed was taken over (after this instance failed to renew it in time)
      // or its egress was deleted: it is no longer this instance's.
      const lost: number[] = []
      for (const [id, lease] of sent) {
        if (leases.get(id) !== lease) continue
        if (renewed.has(id)) {
          lease.deadline = Math.max(lease.deadline, sentAt + leaseMs - safetyMarginMs)
        } else {
          leases.delete(id)
          if (lease.reported !== 'none') lost.push(id)
        }
      }
      settle(lost)
    } catch (error) {
      settle()
      throw error
    }
  }

  /** The lanes this instance should hold now: its own, and its fair share of the others. */
  async function wantedLanes(): Promise<Set<number>> {
    if (leaving) return new Set()
    try {
      await registry.heartbeat()
    } catch (error) {
      if (error instanceof InstanceSupersededError) leaving = true
      throw error
    }
    const { own, shared } = lanes()
    const ownSet = new Set(own)
    const sharedLanes = shared.filter((id) => !ownSet.has(id))
    const live = await registry.liveIds()
    if (!live.includes(instanceId)) live.push(instanceId)
    const holders = await store.holders(sharedLanes)
    const share = shareLanes({ lanes: sharedLanes, live, holders }).get(instanceId) ?? []
    return new Set([...ownSet, ...share])
  }

  async function round(): Promise<void> {
    await renew()
    const wanted = await wantedLanes()
    for (const [id, lease] of leases) {
      if (!wanted.has(id) && !lease.handingOver) handOver(id, lease)
    }
    if (leaving) return
    const sentAt = clock.now()
    const taken = await store.acquire([...wanted].filter((id) => !leases.has(id)))
    for (const [id, token] of taken) {
      leases.set(id, {
        token,
        deadline: sentAt + leaseMs - safetyMarginMs,
        handingOver: false,
        reported: 'none',
      })
    }
    settle()
  }

  /** Stops new sends on the lane, waits for its in-flight requests (bounded), releases it. */
  function handOver(id: number, lease: Lease): void {
    lease.handingOver = true
    settle()
    const task = drainBounded(id).then(() =>
      serially(async () => {
        if (leases.get(id) !== lease) return
        leases.delete(id)
        try {
          await store.release([{ egressId: id, token: lease.token }])
        } finally {
          settle()
          emit({ gained: [], draining: [], lapsed: [], released: [id] })
        }
      }),
    )
    handovers.add(task)
    void task.finally(() => handovers.delete(task))
  }

  async function drainBounded(id: number): Promise<void> {
    if (drain === undefined) return
    const controller = new AbortController()
    let cancelBound = () => {}
    const bound = new Promise<void>((resolve) => {
      cancelBound = clock.setTimer(() => {
        controller.abort()
        resolve()
      }, drainTimeoutMs)
    })
    try {
      const drained = drain(id, controller.signal).catch((error: unknown) =>
        onDrainError(error, id),
      )
      await Promise.race([drained, bound])
    } finally {
      cancelBound()
    }
  }

  function scheduleRounds(): void {
    cancelRoundTimer()
    if (!running) return
    cancelRoundTimer = clock.setTimer(() => {
      void serially(round).then(scheduleRounds)
    }, renewEveryMs)
  }

  function token(egressId: number): number | undefined {
    const lease = leases.get(egressId)
    return lease !== undefined && clock.now() < lease.deadline ? lease.token : undefined
  }

  return {
    async start() {
      await registry.register()
      running = true
      await serially(round)
      scheduleRounds()
    },

    holds(egressId) {
      const lease = leases.get(egressId)
      return lease !== undefined && usableNow(lease)
    },

    token,

    fence(egressId) {
      const current = token(egressId)
      return current === undefined ? undefined : { egressId, instanceId, token: current }
    },

    held() {
      return [...leases]
        .filter(([, lease]) => usableNow(lease))
        .map(([id]) => id)
        .sort((a, b) => a - b)
    },

    rebalance() {
      if (!running) return Promise.resolve()
      return serially(round).then(scheduleRounds)
    },

    instances: () => registry.describe(),

    async stop() {
      if (!running) return
      leaving = true
      // Rounds keep renewing while the lanes drain, so in-flight requests finish under a lease.
      for (const [id, lease] of leases) if (!lease.handingOver) handOver(id, lease)
      while (handovers.size > 0) await Promise.all([...handovers])
      running = false
      cancelRoundTimer()
      await chain
      cancelDeadlineTimer()
      await registry.unregister().catch(onError)
    },
  }
}
