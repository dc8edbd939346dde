import { START as T0 } from '@sfp/test-support'
import { describe, expect, it, vi } from 'vitest'
import { guardedLane, switched } from './helpers/lanes.js'
import {
  addKeys,
  createTestPool,
  fakeKey,
  storedEvents,
  storedKeys,
  type TestPool,
} from './helpers/test-pool.js'

const KEYS = [fakeKey(1), fakeKey(2), fakeKey(3), fakeKey(4)]
const MIN = 60_000

/** What the database holds of each key's binding, by id. */
const storedBindings = async (test: TestPool) =>
  (await storedKeys(test.storage)).map((row) => ({
    id: row.id,
    egressId: row.egressId,
    egressUsedAt: row.egressUsedAt,
  }))

const switchEvents = async (test: TestPool) =>
  (await storedEvents(test.storage, { limit: 100 }))
    .filter((event) => event.type === 'switch')
    .reverse()
    .map((event) => [event.keyId, event.reason])

describe('bind', () => {
  it('cluster mode: binds only under the lane’s lease, and writes the binding fenced by it', async () => {
    const test = await createTestPool()
    const [a = 0, b = 0] = await addKeys(test.pool, KEYS.slice(0, 2))
    const held = new Map([[7, { egressId: 7, instanceId: 'sfp-a', token: 3 }]])
    test.pool.useLaneFences((egressId) => held.get(egressId))
    const fenced = vi.spyOn(test.storage.upstreamKeys, 'updateFenced')

    test.pool.bind(a, 7, T0 + 5000)
    await vi.waitFor(() => expect(fenced).toHaveBeenCalledOnce())
    expect(fenced.mock.calls[0]?.[2]).toEqual({ egressId: 7, instanceId: 'sfp-a', token: 3 })
    // A lane this instance does not hold (its lease lapsed, or another instance drives it):
    // nothing is bound, in memory or in the database.
    test.pool.bind(b, 8, T0 + 6000)
    held.delete(7)
    test.pool.bind(a, 7, T0 + 7000)
    expect(test.pool.row(b)).toMatchObject({ egressId: null })
    expect(test.pool.row(a)).toMatchObject({ egressId: 7, egressUsedAt: T0 + 5000 })
    expect(await storedBindings(test)).toEqual([
      { id: a, egressId: 7, egressUsedAt: T0 + 5000 },
      { id: b, egressId: null, egressUsedAt: null },
    ])
    expect(fenced).toHaveBeenCalledOnce()
  })

  it('cluster mode: a refused binding takes nothing else with it (counters, a state change)', async () => {
    const test = await createTestPool()
    const [a = 0] = await addKeys(test.pool, KEYS.slice(0, 1))
    test.pool.useLaneFences((egressId) => ({ egressId, instanceId: 'sfp-a', token: 3 }))
    // The lane changed hands meanwhile: the database refuses what its lease guards.
    const fenced = vi.spyOn(test.storage.upstreamKeys, 'updateFenced').mockResolvedValue(false)
    const keys = test.storage.upstreamKeys
    const update = keys.update.bind(keys)
    vi.spyOn(keys, 'update').mockImplementation(async (id, patch) => {
      await new Promise((resolve) => setTimeout(resolve, 5))
      return update(id, patch)
    })
    // Spending queued behind; a relabel written at once (its write under way while the rest
    // queue up); then the binding, and a disable merged with it in the queue.
    test.pool.addSpend(a, 1.5)
    test.pool.update(a, { label: 'main' })
    test.pool.bind(a, 7, T0 + 5000)
    test.pool.update(a, { enabled: false })
    await test.pool.flush()
    expect(fenced).toHaveBeenCalled()
    expect((await storedKeys(test.storage))[0]).toMatchObject({
      label: 'main',
      spent: 1.5,
      status: 'disabled',
      egressId: null,
    })
  })

  it('writes the binding through: the repository and a restarted pool have it', async () => {
    const test = await createTestPool()
    const [a = 0, b = 0] = await addKeys(test.pool, KEYS.slice(0, 2))
    test.pool.bind(a, 7, T0 + 5000)
    const expected = [
      { id: a, egressId: 7, egressUsedAt: T0 + 5000 },
      { id: b, egressId: null, egressUsedAt: null },
    ]
    expect(await storedBindings(test)).toEqual(expected)
    expect(test.pool.row(a)).toMatchObject({ egressId: 7, egressUsedAt: T0 + 5000 })
    expect(test.pool.view(a)?.egressId).toBe(7)
    expect(test.pool.view(b)?.egressId).toBeNull()

    const after = await test.restart()
    expect(await storedBindings(after)).toEqual(expected)
    expect(after.pool.row(a)).toMatchObject({ egressId: 7, egressUsedAt: T0 + 5000 })
    expect(after.pool.list({ offset: 0 }).keys.map((key) => key.egressId)).toEqual([7, null])
  })

  it('never moves egressUsedAt backwards, on the same lane or another', async () => {
    const test = await createTestPool()
    const [a = 0] = await addKeys(test.pool, KEYS.slice(0, 1))
    test.pool.bind(a, 1, T0 + 10_000)
    // An older last use written late (the lane's memory at boot) does not undo a newer one.
    test.pool.bind(a, 1, T0 + 5000)
    expect(test.pool.row(a)).toMatchObject({ egressId: 1, egressUsedAt: T0 + 10_000 })
    // Another lane takes it: the binding moves, its last use stays the latest known.
    test.pool.bind(a, 2, T0 + 3000)
    expect(test.pool.row(a)).toMatchObject({ egressId: 2, egressUsedAt: T0 + 10_000 })
    expect(await storedBindings(test)).toEqual([{ id: a, egressId: 2, egressUsedAt: T0 + 10_000 }])
    test.pool.bind(a, 2, T0 + 20_000)
    expect(await storedBindings(test)).toEqual([{ id: a, egressId: 2, egressUsedAt: T0 + 20_000 }])
    const after = await test.restart()
    after.pool.bind(a, 2, T0)
    expect(after.pool.row(a)).toMatchObject({ egressId: 2, egressUsedAt: T0 + 20_000 })
  })

  it('records a switch key event only when given a reason, masked like any reason', async () => {
    const test = await createTestPool()
    const [a = 0, b = 0] = await addKeys(test.pool, KEYS.slice(0, 2))
    test.pool.bind(a, 1, T0, switched(a))
    test.pool.bind(a, 1, T0 + 1000)
    test.pool.bind(a, 1, T0 + 2000)
    expect(await switchEvents(test)).toEqual([
      [a, `first key in use: #${a} on egress #1 (no key in use)`],
    ])
    // A param that quotes a key (a status word from upstream, say) is stored masked, in the
    // explanation and in the English reason.
    const quoting = switched(b, a)
    if (quoting.code === 'key_switch') quoting.params.current = { keyId: a, status: `${KEYS[1]}` }
    test.pool.bind(b, 1, T0 + 3000, quoting)
    const masked = `${KEYS[1]?.slice(0, 6)}…${KEYS[1]?.slice(-4)}`
    const [, [, reason = ''] = []] = await switchEvents(test)
    expect(reason).not.toContain(KEYS[1])
    expect(reason).toBe(`key #${a} -> key #${b} on egress #1 (key #${a} is ${masked})`)
    const stored = (await storedEvents(test.storage, { limit: 10 }))[0]
    expect(JSON.stringify(stored)).not.toContain(KEYS[1])
    expect(stored?.explanation).toMatchObject({ params: { current: { status: masked } } })
    expect(await switchEvents(test)).toHaveLength(2)
  })

  it('tells change listeners', async () => {
    const { pool } = await createTestPool()
    const [a = 0] = await addKeys(pool, KEYS.slice(0, 1))
    const changed = vi.fn()
    pool.onChange(changed)
    pool.bind(a, 1, T0)
    expect(changed).toHaveBeenCalledTimes(1)
  })

  it('does nothing for an unknown id (a key deleted meanwhile)', async () => {
    const test = await createTestPool()
    await addKeys(test.pool, KEYS.slice(0, 1))
    const changed = vi.fn()
    test.pool.onChange(changed)
    const rows = JSON.stringify(await storedKeys(test.storage))
    expect(() => test.pool.bind(99, 1, T0, switched(99))).not.toThrow()
    expect(JSON.stringify(await storedKeys(test.storage))).toBe(rows)
    expect(await switchEvents(test)).toEqual([])
    expect(changed).not.toHaveBeenCalled()
    expect(test.pool.row(99)).toBeUndefined()
  })
})

describe('unbindEgress', () => {
  it("frees only that egress's keys, written through, their last use kept", async () => {
    const test = await createTestPool()
    const [a = 0, b = 0, c = 0, d = 0] = await addKeys(test.pool, KEYS)
    test.pool.bind(a, 1, T0 + 1000)
    test.pool.bind(b, 2, T0 + 2000)
    test.pool.bind(c, 1, T0 + 3000)
    const changed = vi.fn()
    test.pool.onChange(changed)
    test.pool.unbindEgress(1)
    const expected = [
      { id: a, egressId: null, egressUsedAt: T0 + 1000 },
      { id: b, egressId: 2, egressUsedAt: T0 + 2000 },
      { id: c, egressId: null, egressUsedAt: T0 + 3000 },
      { id: d, egressId: null, egressUsedAt: null },
    ]
    expect(await storedBindings(test)).toEqual(expected)
    expect([...test.pool.rows()].map((row) => row.egressId)).toEqual([null, 2, null, null])
    expect(changed).toHaveBeenCalledTimes(1)
    expect(await switchEvents(test)).toEqual([])

    const after = await test.restart()
    expect(await storedBindings(after)).toEqual(expected)
  })

  it('makes its keys free for any lane at once, guard or not', async () => {
    const { pool } = await createTestPool()
    const [a = 0] = await addKeys(pool, KEYS.slice(0, 1))
    pool.bind(a, 1, T0)
    const otherLane = guardedLane(2, null, 10 * MIN)
    expect(pool.select(otherLane, T0)).toMatchObject({ kind: 'none', retryAt: T0 + 10 * MIN })
    pool.unbindEgress(1)
    expect(pool.select(otherLane, T0)).toEqual({ kind: 'switch', keyId: a, current: null })
  })

  it('changes nothing and tells nobody when the egress had no keys', async () => {
    const test = await createTestPool()
    const [a = 0] = await addKeys(test.pool, KEYS.slice(0, 1))
    test.pool.bind(a, 1, T0)
    const rows = JSON.stringify(await storedKeys(test.storage))
    const changed = vi.fn()
    test.pool.onChange(changed)
    test.pool.unbindEgress(42)
    expect(JSON.stringify(await storedKeys(test.storage))).toBe(rows)
    expect(changed).not.toHaveBeenCalled()
  })
})
