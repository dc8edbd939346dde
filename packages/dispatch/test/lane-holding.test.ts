import { afterEach, describe, expect, it, vi } from 'vitest'
import { createDispatch } from '../src/dispatch.js'
import type { LaneHolding, Lease } from '../src/types.js'
import { createTestbed, REFUSED, settle } from './helpers/testbed.js'

/**
 * The cluster hooks of the dispatch (docs/behaviour.md §9) with a hand-driven `LaneHolding`: which
 * lanes this instance holds, is gaining, may still send through; whether its database answers;
 * which keys it may claim for a lane.
 */

const SELF = 'instance-self'
const OTHER = 'instance-other'
/** What the fake holding says a refused request may retry after (as the cluster plugin's). */
const RETRY_MS = 5000

interface FakeHolding extends LaneHolding {
  held: Set<number>
  gainingLanes: Set<number>
  /** Lanes whose lease ran out although still counted as held (a stall). */
  lapsed: Set<number>
  reachable: boolean
  /** Every claim asked, as `lane:key`. */
  claims: string[]
  claimAnswer: boolean
  taken: Map<number, number>
  drivers: Map<number, string>
}

function fakeHolding(held: readonly number[] = []): FakeHolding {
  const holding: FakeHolding = {
    instanceId: SELF,
    held: new Set(held),
    gainingLanes: new Set(),
    lapsed: new Set(),
    reachable: true,
    claims: [],
    claimAnswer: true,
    taken: new Map(),
    drivers: new Map(),
    holds: (id) => holding.held.has(id),
    maySend: (id) => holding.held.has(id) && !holding.lapsed.has(id),
    gaining: (id) => holding.gainingLanes.has(id),
    driverOf: (id) => holding.drivers.get(id) ?? null,
    databaseReachable: () => holding.reachable,
    retryAt: (now) => now + RETRY_MS,
    claimKey(laneId, keyId) {
      holding.claims.push(`${laneId}:${keyId}`)
      return holding.claimAnswer
    },
    keyTakenUntil: (keyId) => holding.taken.get(keyId) ?? 0,
  }
  return holding
}

/** The lease `promise` resolves to, or undefined while it still waits. */
function watch(promise: Promise<Lease>): { lease: () => Lease | undefined; error: () => unknown } {
  let lease: Lease | undefined
  let error: unknown
  promise.then(
    (granted) => {
      lease = granted
    },
    (refused: unknown) => {
      error = refused
    },
  )
  return { lease: () => lease, error: () => error }
}

const SUCCESS = { kind: 'success' } as const

describe('sends-only-through-held-lanes', () => {
  it('never grants a lane it does not hold: a waiter waits for the held one', async () => {
    const bed = await createTestbed({ proxies: 1, keys: 2 })
    const [direct, proxy] = bed.laneIds as [number, number]
    const holding = fakeHolding([proxy])
    bed.dispatch.useLaneHolding(holding)
    const first = await bed.dispatch.lease()
    expect(first.laneId).toBe(proxy)
    const second = watch(bed.dispatch.lease())
    await settle()
    // The direct lane is idle but another instance's: the request waits for the proxy.
    expect(second.lease()).toBeUndefined()
    expect(second.error()).toBeUndefined()
    first.release()
    await settle()
    expect(second.lease()?.laneId).toBe(proxy)
    second.lease()?.release()
    expect(
      bed.egress
        .lanes()
        .find((lane) => lane.id === direct)
        ?.state(),
    ).toBe('up')
  })

  it('answers SFP_DATABASE_UNAVAILABLE (503, no_lane_held/database) when its leases lapsed with the database unreachable', async () => {
    const bed = await createTestbed({ proxies: 1, keys: 2 })
    const holding = fakeHolding([])
    holding.reachable = false
    bed.dispatch.useLaneHolding(holding)
    const refusal = await bed.dispatch.lease().catch((error: unknown) => error)
    expect(refusal).toMatchObject({
      code: 'SFP_DATABASE_UNAVAILABLE',
      statusCode: 503,
      retryAfterSeconds: RETRY_MS / 1000,
      explanation: { code: 'no_lane_held', params: { instanceId: SELF, reason: 'database' } },
    })
  })

  it('answers SFP_NO_AVAILABLE_EGRESS (no_lane_held/elsewhere) when the database answers and others drive every lane', async () => {
    const bed = await createTestbed({ proxies: 1, keys: 2 })
    bed.dispatch.useLaneHolding(fakeHolding([]))
    const refusal = await bed.dispatch.lease().catch((error: unknown) => error)
    expect(refusal).toMatchObject({
      code: 'SFP_NO_AVAILABLE_EGRESS',
      statusCode: 503,
      retryAfterSeconds: RETRY_MS / 1000,
      explanation: { code: 'no_lane_held', params: { instanceId: SELF, reason: 'elsewhere' } },
    })
  })

  it('makes waiters wait for a lane being gained, and serves them once it is gained', async () => {
    const bed = await createTestbed({ proxies: 1, keys: 2 })
    const proxy = bed.laneIds[1] as number
    const holding = fakeHolding([])
    holding.gainingLanes.add(proxy)
    bed.dispatch.useLaneHolding(holding)
    const waiter = watch(bed.dispatch.lease())
    await settle()
    expect(waiter.error()).toBeUndefined()
    expect(waiter.lease()).toBeUndefined()
    holding.gainingLanes.delete(proxy)
    holding.held.add(proxy)
    bed.dispatch.laneGained(proxy)
    await settle()
    expect(waiter.lease()?.laneId).toBe(proxy)
    waiter.lease()?.release()
  })
})

describe('claims-a-key-before-a-lane-first-sends-it', () => {
  it('waits while the claim is under way, and sends once the key is bound to the lane', async () => {
    const bed = await createTestbed({ keys: 1 })
    const [lane] = bed.laneIds as [number]
    const [key] = bed.keyIds as [number]
    const holding = fakeHolding([lane])
    holding.claimAnswer = false
    bed.dispatch.useLaneHolding(holding)
    const waiter = watch(bed.dispatch.lease())
    await settle()
    expect(holding.claims).toContain(`${lane}:${key}`)
    expect(waiter.lease()).toBeUndefined()
    expect(waiter.error()).toBeUndefined()
    // The claim settled in the database: the row is the lane's, and the dispatch is pumped.
    bed.pool.bind(key, lane, bed.clock.now())
    bed.dispatch.serve()
    await settle()
    expect(waiter.lease()).toMatchObject({ laneId: lane, keyId: key })
    waiter.lease()?.release()
  })

  it('asks no claim for a key already bound to the lane', async () => {
    const bed = await createTestbed({ keys: 1 })
    const [lane] = bed.laneIds as [number]
    const [key] = bed.keyIds as [number]
    bed.pool.bind(key, lane, bed.clock.now())
    const holding = fakeHolding([lane])
    holding.claimAnswer = false
    bed.dispatch.useLaneHolding(holding)
    const lease = await bed.dispatch.lease()
    expect(lease).toMatchObject({ laneId: lane, keyId: key })
    expect(holding.claims).toEqual([])
    lease.release()
  })

  it('takes another key while a refused claim says the first is another lane’s', async () => {
    const bed = await createTestbed({ keys: 2 })
    const [lane] = bed.laneIds as [number]
    const [key1, key2] = bed.keyIds as [number, number]
    const holding = fakeHolding([lane])
    holding.taken.set(key1, bed.clock.now() + 30_000)
    bed.dispatch.useLaneHolding(holding)
    const lease = await bed.dispatch.lease()
    expect(lease).toMatchObject({ laneId: lane, keyId: key2 })
    expect(holding.claims).toEqual([`${lane}:${key2}`])
    lease.release()
  })

  it('takes the first key when nothing says it is taken (the control of the test above)', async () => {
    const bed = await createTestbed({ keys: 2 })
    const [lane] = bed.laneIds as [number]
    bed.dispatch.useLaneHolding(fakeHolding([lane]))
    const lease = await bed.dispatch.lease()
    expect(lease.keyId).toBe(bed.keyIds[0])
    lease.release()
  })
})

describe('sends-nothing-once-a-lease-ran-out', () => {
  it('cuts the lane when the call is about to go out after the lease ran out; the lane stays up', async () => {
    const bed = await createTestbed({ keys: 1 })
    const [lane] = bed.laneIds as [number]
    const holding = fakeHolding([lane])
    bed.dispatch.useLaneHolding(holding)
    const cut = vi.spyOn(bed.egress, 'cut')
    const lease = await bed.dispatch.lease()
    const granted = bed.egress.lanes()[0]?.dispatcher
    // A long pause between the grant and the call: the lease lapsed meanwhile.
    holding.lapsed.add(lane)
    const through = lease.dispatcher
    expect(through).toBe(granted)
    expect(cut).toHaveBeenCalledTimes(1)
    expect(cut).toHaveBeenCalledWith(lane)
    expect(bed.egress.wasCut(lane, through)).toBe(true)
    // Reading it again (a retry) cuts nothing more.
    void lease.dispatcher
    expect(cut).toHaveBeenCalledTimes(1)
    expect(lease.isWayOutFailure(new Error('any error at all'))).toBe(true)
    lease.failEgress(REFUSED)
    lease.release()
    expect(bed.egress.view(lane)).toMatchObject({ state: 'up' })
  })

  it('leaves a lane whose lease holds alone: nothing cut, a refused way out marks it down', async () => {
    const bed = await createTestbed({ keys: 1 })
    const [lane] = bed.laneIds as [number]
    bed.dispatch.useLaneHolding(fakeHolding([lane]))
    const cut = vi.spyOn(bed.egress, 'cut')
    const lease = await bed.dispatch.lease()
    void lease.dispatcher
    expect(cut).not.toHaveBeenCalled()
    expect(lease.isWayOutFailure(new Error('a bug, not the way out'))).toBe(false)
    lease.failEgress(REFUSED)
    lease.release()
    expect(bed.egress.view(lane)).toMatchObject({ state: 'down' })
  })
})

describe('drains-a-lane-before-handing-it-over', () => {
  it('resolves at once for an idle lane, and when the lane’s last lease is released', async () => {
    const bed = await createTestbed({ proxies: 1, keys: 2, concurrency: 2 })
    const [lane] = bed.laneIds as [number]
    bed.dispatch.useLaneHolding(fakeHolding([lane]))
    await expect(bed.dispatch.drain(lane, new AbortController().signal)).resolves.toBeUndefined()
    const first = await bed.dispatch.lease()
    const second = await bed.dispatch.lease()
    expect([first.laneId, second.laneId]).toEqual([lane, lane])
    let drained = false
    void bed.dispatch.drain(lane, new AbortController().signal).then(() => {
      drained = true
    })
    await settle()
    expect(drained).toBe(false)
    await first.end(SUCCESS)
    first.release()
    await settle()
    expect(drained).toBe(false)
    await second.end(SUCCESS)
    second.release()
    await settle()
    expect(drained).toBe(true)
  })

  it('cuts the lane and resolves when the signal aborts first', async () => {
    const bed = await createTestbed({ keys: 1 })
    const [lane] = bed.laneIds as [number]
    bed.dispatch.useLaneHolding(fakeHolding([lane]))
    const cut = vi.spyOn(bed.egress, 'cut')
    const lease = await bed.dispatch.lease()
    const before = lease.dispatcher
    const controller = new AbortController()
    let drained = false
    void bed.dispatch.drain(lane, controller.signal).then(() => {
      drained = true
    })
    await settle()
    expect(drained).toBe(false)
    controller.abort()
    await settle()
    expect(drained).toBe(true)
    expect(cut).toHaveBeenCalledWith(lane)
    expect(bed.egress.wasCut(lane, before)).toBe(true)
    lease.release()
  })
})

describe('says-who-drives-each-lane', () => {
  const cleanups: (() => void)[] = []
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup()
  })

  it('cluster mode: this instance for held lanes, the driver seen for the others', async () => {
    const bed = await createTestbed({ proxies: 2, keys: 2 })
    const [direct, proxy1, proxy2] = bed.laneIds as [number, number, number]
    const holding = fakeHolding([direct])
    holding.drivers.set(proxy1, OTHER)
    bed.dispatch.useLaneHolding(holding)
    const drivenBy = Object.fromEntries(
      bed.dispatch.status().egresses.map((lane) => [lane.id, lane.drivenBy]),
    )
    expect(drivenBy).toEqual({ [direct]: SELF, [proxy1]: OTHER, [proxy2]: null })
  })

  it('single mode: every lane driven by the dispatch’s own instance id', async () => {
    const bed = await createTestbed({ proxies: 2, keys: 2 })
    const dispatch = createDispatch({
      pool: bed.pool,
      egress: bed.egress,
      concurrency: 1,
      queueMax: 10,
      clientQueueShare: 0.5,
      queueTimeoutMs: 60_000,
      guardMinutes: 30,
      policy: 'wait',
      clock: bed.clock,
      instanceId: 'solo-host',
    })
    cleanups.push(() => dispatch.close())
    const drivenBy = dispatch.status().egresses.map((lane) => lane.drivenBy)
    expect(drivenBy).toEqual(['solo-host', 'solo-host', 'solo-host'])
  })
})
