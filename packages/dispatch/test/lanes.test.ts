import { describe, expect, it } from 'vitest'
import type { Lease } from '../src/types.js'
import { BLOCKED, createTestbed, REFUSED, settle, type Testbed } from './helpers/testbed.js'

const MINUTE = 60_000
const SUCCESS = { kind: 'success' } as const

/** Take a lease, make one successful call with it, give it back. */
async function serveOne(bed: Testbed): Promise<Lease> {
  const lease = await bed.dispatch.lease()
  await lease.end(SUCCESS)
  lease.release()
  return lease
}

describe('serves-lanes-in-parallel', () => {
  it('gives each lane its own slot and key, in creation order', async () => {
    const bed = await createTestbed({ proxies: 2, keys: 3 })
    const leases = await Promise.all([0, 1, 2].map(() => bed.dispatch.lease()))
    expect(leases.map((lease) => lease.laneId)).toEqual(bed.laneIds)
    expect(leases.map((lease) => lease.keyId)).toEqual(bed.keyIds)
    expect(leases.every((lease) => lease.switched)).toBe(true)
    let fourth: Lease | undefined
    void bed.dispatch.lease().then((lease) => {
      fourth = lease
    })
    await settle()
    expect(fourth).toBeUndefined()
    expect(bed.dispatch.status().dispatch).toMatchObject({ concurrency: 3, inFlight: 3, queued: 1 })
    leases[1]?.release()
    await settle()
    expect(fourth).toMatchObject({ laneId: bed.laneIds[1], keyId: bed.keyIds[1], switched: false })
    fourth?.release()
    for (const lease of leases) lease.release()
  })

  it('keeps a lane on its key and serves the least recently busy lane first', async () => {
    const bed = await createTestbed({ proxies: 1, keys: 2 })
    const first = await serveOne(bed)
    const second = await serveOne(bed)
    const third = await serveOne(bed)
    expect([first.laneId, second.laneId, third.laneId]).toEqual([
      bed.laneIds[0],
      bed.laneIds[1],
      bed.laneIds[0],
    ])
    expect([first.keyId, second.keyId, third.keyId]).toEqual([
      bed.keyIds[0],
      bed.keyIds[1],
      bed.keyIds[0],
    ])
    expect(bed.pool.view(bed.keyIds[0] ?? 0)).toMatchObject({
      egressId: bed.laneIds[0],
      isCurrent: true,
    })
    expect(bed.pool.view(bed.keyIds[1] ?? 0)).toMatchObject({ egressId: bed.laneIds[1] })
  })
})

describe('binds-a-key-to-one-lane', () => {
  it('never sends a key of another lane within the guard window, and moves it after', async () => {
    const bed = await createTestbed({ proxies: 1, keys: 2 })
    const [laneA, laneB] = bed.laneIds as [number, number]
    const [key1, key2] = bed.keyIds as [number, number]
    await serveOne(bed) // lane A takes key 1
    await serveOne(bed) // lane B takes key 2
    bed.pool.update(key2, { enabled: false })
    bed.clock.advance(10 * MINUTE)
    // Lane B has no key of its own left, and key 1 rests on lane A for the window.
    const onA = await serveOne(bed)
    expect(onA).toMatchObject({ laneId: laneA, keyId: key1 })
    const laneBStatus = bed.dispatch.status().egresses.find((lane) => lane.id === laneB)
    expect(laneBStatus?.switchGuard.blocked).toMatchObject({ code: 'no_available_key' })
    // Lane A keeps being preferred while B refuses.
    expect(await serveOne(bed)).toMatchObject({ laneId: laneA, keyId: key1 })
    bed.clock.advance(30 * MINUTE)
    // Both idle past the window: the least recently busy lane (B) may take key 1 now.
    const moved = await serveOne(bed)
    expect(moved).toMatchObject({ laneId: laneB, keyId: key1, switched: true })
    expect(bed.pool.view(key1)).toMatchObject({ egressId: laneB })
  })

  it('keeps bindings and each lane guard window across a restart', async () => {
    const first = await createTestbed({ proxies: 1, keys: 2 })
    const { dataDir, clock } = first
    await serveOne(first)
    await serveOne(first)
    await first.close()
    const bed = await createTestbed({ proxies: 1, keys: 2, dataDir, clock })
    const status = bed.dispatch.status().egresses
    expect(status.map((lane) => lane.switchGuard.currentKeyId)).toEqual(bed.keyIds)
    expect(status.map((lane) => lane.switchGuard.lastUsedKeyId)).toEqual(bed.keyIds)
    expect([...bed.pool.rows()].map((row) => row.egressId)).toEqual(bed.laneIds)
  })
})

describe('skips-lanes-that-cannot-serve', () => {
  it('skips a down or blocked egress; the key stays untouched', async () => {
    const bed = await createTestbed({ proxies: 1, keys: 2 })
    const [direct, proxy] = bed.laneIds as [number, number]
    const lease = await bed.dispatch.lease()
    expect(lease.laneId).toBe(direct)
    const calls = bed.pool.view(lease.keyId)?.callCount
    lease.failEgress(BLOCKED)
    lease.release()
    expect(bed.pool.view(lease.keyId)?.callCount).toBe(calls)
    expect(bed.egress.view(direct)).toMatchObject({ state: 'blocked' })
    const next = await serveOne(bed)
    expect(next.laneId).toBe(proxy)
    const again = await serveOne(bed)
    expect(again.laneId).toBe(proxy)
  })

  it('answers egress_blocked when one blocked egress is the only reason, with Retry-After', async () => {
    const bed = await createTestbed({ keys: 1 })
    const lease = await bed.dispatch.lease()
    lease.failEgress(BLOCKED)
    lease.release()
    bed.clock.advance(10 * MINUTE)
    const refusal = await bed.dispatch.lease().catch((error: unknown) => error)
    expect(refusal).toMatchObject({
      code: 'SFP_EGRESS_BLOCKED',
      statusCode: 503,
      retryAfterSeconds: 20 * 60,
    })
    bed.clock.advance(20 * MINUTE)
    await expect(serveOne(bed)).resolves.toMatchObject({ keyId: bed.keyIds[0] })
  })

  it('answers no_available_egress with the earliest retry when every egress is out', async () => {
    const bed = await createTestbed({ proxies: 1, keys: 2 })
    const [direct, proxy] = bed.laneIds as [number, number]
    bed.egress.markDown(proxy, REFUSED)
    const lease = await bed.dispatch.lease()
    expect(lease.laneId).toBe(direct)
    lease.failEgress(BLOCKED)
    lease.release()
    const refusal = await bed.dispatch.lease().catch((error: unknown) => error)
    expect(refusal).toMatchObject({
      code: 'SFP_NO_AVAILABLE_EGRESS',
      statusCode: 503,
      retryAfterSeconds: 30,
    })
    expect(bed.dispatch.status().switchGuard.blocked).toMatchObject({
      code: 'no_available_egress',
    })
  })

  it('keeps a lane off the lanes a request left, and answers when none is left', async () => {
    const bed = await createTestbed({ proxies: 1, keys: 2 })
    const [direct, proxy] = bed.laneIds as [number, number]
    const lease = await bed.dispatch.lease({ exclude: new Set([direct]) })
    expect(lease.laneId).toBe(proxy)
    lease.release()
    const none = await bed.dispatch
      .lease({ exclude: new Set([direct, proxy]) })
      .catch((error: unknown) => error)
    expect(none).toMatchObject({ code: 'SFP_NO_AVAILABLE_EGRESS' })
  })

  it('never switches a lane while a call with its previous key is in flight', async () => {
    const bed = await createTestbed({ keys: 2, concurrency: 2, guardMinutes: 0 })
    const [key1, key2] = bed.keyIds as [number, number]
    const first = await bed.dispatch.lease()
    expect(first.keyId).toBe(key1)
    bed.pool.update(key1, { enabled: false })
    let second: Lease | undefined
    void bed.dispatch.lease().then((lease) => {
      second = lease
    })
    await settle()
    expect(second).toBeUndefined()
    await first.end(SUCCESS)
    first.release()
    await settle()
    expect(second).toMatchObject({ keyId: key2, switched: true })
    second?.release()
  })
})

describe('checks-a-key-through-its-own-lane', () => {
  it('pins a check to the key lane and refuses another key inside its window', async () => {
    const bed = await createTestbed({ proxies: 1, keys: 3 })
    const [laneA, laneB] = bed.laneIds as [number, number]
    const [key1, , key3] = bed.keyIds as [number, number, number]
    await serveOne(bed)
    await serveOne(bed)
    const check = await bed.dispatch.leaseKey({ keyId: key1 })
    expect(check).toMatchObject({ laneId: laneA, keyId: key1, switched: false })
    check.release()
    // Key 3 is bound to no lane; both lanes used another key moments ago.
    const refusal = await bed.dispatch.leaseKey({ keyId: key3 }).catch((error: unknown) => error)
    expect(refusal).toMatchObject({ code: 'SFP_KEY_SWITCH_GUARD', statusCode: 503 })
    bed.clock.advance(31 * MINUTE)
    const later = await bed.dispatch.leaseKey({ keyId: key3 })
    expect([laneA, laneB]).toContain(later.laneId)
    expect(later.switched).toBe(true)
    later.release()
  })

  it('drops a check that is no longer wanted once its slot is free, sending nothing', async () => {
    const bed = await createTestbed({ keys: 1 })
    const holder = await bed.dispatch.lease()
    let wanted = true
    const check = bed.dispatch.leaseKey({ keyId: holder.keyId, stillWanted: () => wanted })
    wanted = false
    holder.release()
    await expect(check).rejects.toMatchObject({ code: 'SFP_CHECK_NOT_NEEDED' })
    expect(bed.dispatch.status().dispatch.inFlight).toBe(0)
  })
})

describe('activates-a-key-on-its-lane', () => {
  it('makes a bound key its lane key, and an unbound one the direct lane key', async () => {
    const bed = await createTestbed({ proxies: 1, keys: 3 })
    const [direct, proxy] = bed.laneIds as [number, number]
    const [, key2, key3] = bed.keyIds as [number, number, number]
    await serveOne(bed)
    await serveOne(bed)
    expect(bed.dispatch.activate(key2)).toBe(proxy)
    expect(bed.dispatch.activate(key3)).toBe(direct)
    const lanes = bed.dispatch.status().egresses
    expect(lanes.map((lane) => lane.switchGuard.currentKeyId)).toEqual([key3, key2])
    expect(await serveOne(bed)).toMatchObject({ laneId: direct, keyId: key3 })
  })
})

describe('follows-deleted-egresses', () => {
  it('lets a call in flight finish, unbinds the keys and still guards them', async () => {
    const bed = await createTestbed({ proxies: 1, keys: 2 })
    const [direct, proxy] = bed.laneIds as [number, number]
    const [key1, key2] = bed.keyIds as [number, number]
    await serveOne(bed)
    const onProxy = await bed.dispatch.lease()
    expect(onProxy).toMatchObject({ laneId: proxy, keyId: key2 })
    await bed.egress.remove(proxy)
    expect(bed.dispatch.status().egresses.map((lane) => lane.id)).toEqual([direct])
    await onProxy.end(SUCCESS)
    onProxy.release()
    expect(bed.pool.view(key2)?.egressId).toBeNull()
    // Key 1 leaves service on the direct lane: key 2 was sent through the deleted egress a
    // minute ago, so it waits out the window there before the direct lane may take it.
    bed.clock.advance(MINUTE)
    bed.pool.update(key1, { enabled: false })
    const refusal = await bed.dispatch.lease().catch((error: unknown) => error)
    expect(refusal).toMatchObject({ code: 'SFP_NO_AVAILABLE_KEY', retryAfterSeconds: 29 * 60 })
    bed.clock.advance(29 * MINUTE)
    expect(await serveOne(bed)).toMatchObject({ laneId: direct, keyId: key2, switched: true })
  })
})
