import type { KeyStatus } from '@sfp/schemas'
import { START as T0 } from '@sfp/test-support'
import { describe, expect, it } from 'vitest'
import { isUsable, selectKey } from '../src/selection.js'
import type { KeySelection, LaneKeys } from '../src/types.js'
import { guardedLane, lane } from './helpers/lanes.js'
import { addKeys, createTestPool, fakeKey, storedEvents, storedKeys } from './helpers/test-pool.js'

type Key = {
  id: number
  status: KeyStatus
  cooldownUntil: number | null
  egressId: number | null
  egressUsedAt: number | null
}
const key = (
  id: number,
  status: KeyStatus,
  cooldownUntil: number | null = null,
  egressId: number | null = null,
): Key => ({ id, status, cooldownUntil, egressId, egressUsedAt: egressId === null ? null : T0 })
const PAST = T0 - 1
const FUTURE = T0 + 60_000
const LATER = T0 + 120_000
const LATEST = T0 + 180_000
/** The lane selecting, and two others. */
const LANE = 1
const OTHER = 2
const THIRD = 3
const MIN = 60_000

describe('isUsable', () => {
  it.each([
    [key(1, 'active'), true],
    [key(1, 'cooling', FUTURE), false],
    [key(1, 'cooling', PAST), true],
    [key(1, 'cooling', T0), true],
    [key(1, 'error', FUTURE), false],
    [key(1, 'error', PAST), true],
    [key(1, 'insufficient'), false],
    [key(1, 'invalid'), false],
    [key(1, 'disabled'), false],
  ])('%o -> %s', (k, usable) => {
    expect(isUsable(k, T0)).toBe(usable)
  })
})

describe('selectKey', () => {
  interface Case {
    name: string
    keys: Key[]
    /** The selecting lane (its `currentKeyId` picks the current key from `keys`). */
    lane: LaneKeys
    expected: KeySelection
  }
  const select = ({ keys, lane: l }: Case) =>
    selectKey(
      keys,
      keys.find((k) => k.id === l.currentKeyId),
      l,
      T0,
    )

  const keepCurrent: Case[] = [
    {
      name: 'keeps the lane key while it is usable, even when an earlier key is active',
      keys: [key(1, 'active'), key(2, 'active')],
      lane: lane(LANE, 2),
      expected: { kind: 'current', keyId: 2 },
    },
    {
      name: 'keeps a cooling lane key once its cooldown has passed',
      keys: [key(1, 'active'), key(2, 'cooling', PAST)],
      lane: lane(LANE, 2),
      expected: { kind: 'current', keyId: 2 },
    },
    {
      name: 'keeps the lane key when it becomes available exactly now',
      keys: [key(1, 'active'), key(2, 'active', null, LANE)],
      lane: lane(LANE, 2, { 2: T0 }),
      expected: { kind: 'current', keyId: 2 },
    },
    {
      name: 'keeps the lane key whatever lane it is bound to, while it is available here',
      keys: [key(1, 'active'), key(2, 'active', null, OTHER)],
      lane: lane(LANE, 2),
      expected: { kind: 'current', keyId: 2 },
    },
    {
      name: 'the lane key is usable but no longer available here: the earliest other key replaces it',
      keys: [key(1, 'active'), key(2, 'active', null, OTHER)],
      lane: lane(LANE, 2, { 2: FUTURE }),
      expected: {
        kind: 'switch',
        keyId: 1,
        current: { keyId: 2, status: 'active', cooldownUntil: null },
      },
    },
    {
      name: 'the lane key is no longer available and nothing else is usable: none until it is',
      keys: [key(1, 'invalid'), key(2, 'active', null, OTHER)],
      lane: lane(LANE, 2, { 2: FUTURE }),
      expected: {
        kind: 'none',
        current: { keyId: 2, status: 'active', cooldownUntil: null },
        retryAt: FUTURE,
      },
    },
  ]

  const unboundPool: Case[] = [
    {
      name: 'no lane key yet: the earliest-created active key',
      keys: [key(1, 'disabled'), key(2, 'invalid'), key(3, 'active'), key(4, 'active')],
      lane: lane(LANE),
      expected: { kind: 'switch', keyId: 3, current: null },
    },
    {
      name: 'the lane key is cooling: the earliest active key replaces it',
      keys: [key(1, 'cooling', FUTURE), key(2, 'insufficient'), key(3, 'active')],
      lane: lane(LANE, 1),
      expected: {
        kind: 'switch',
        keyId: 3,
        current: { keyId: 1, status: 'cooling', cooldownUntil: FUTURE },
      },
    },
    {
      name: 'active keys come before error/cooling keys past their cooldown, whatever the order',
      keys: [key(1, 'error', PAST), key(2, 'cooling', PAST), key(3, 'active'), key(4, 'invalid')],
      lane: lane(LANE, 4),
      expected: {
        kind: 'switch',
        keyId: 3,
        current: { keyId: 4, status: 'invalid', cooldownUntil: null },
      },
    },
    {
      name: 'no active key: the earliest error/cooling key past its cooldown',
      keys: [key(1, 'cooling', FUTURE), key(2, 'error', PAST), key(3, 'cooling', PAST)],
      lane: lane(LANE, 1),
      expected: {
        kind: 'switch',
        keyId: 2,
        current: { keyId: 1, status: 'cooling', cooldownUntil: FUTURE },
      },
    },
    {
      name: 'nothing usable: none, retryAt the earliest cooldown end',
      keys: [key(1, 'cooling', LATER), key(2, 'error', FUTURE), key(3, 'insufficient')],
      lane: lane(LANE, 3),
      expected: {
        kind: 'none',
        current: { keyId: 3, status: 'insufficient', cooldownUntil: null },
        retryAt: FUTURE,
      },
    },
    {
      name: 'nothing usable and nothing cooling: none without retryAt',
      keys: [key(1, 'invalid'), key(2, 'disabled'), key(3, 'insufficient')],
      lane: lane(LANE),
      expected: { kind: 'none', current: null, retryAt: null },
    },
    {
      name: 'empty pool: none',
      keys: [],
      lane: lane(LANE),
      expected: { kind: 'none', current: null, retryAt: null },
    },
  ]

  const tiers: Case[] = [
    {
      name: 'an active key of no lane comes before an earlier active key of another lane',
      keys: [key(1, 'active', null, OTHER), key(2, 'active')],
      lane: lane(LANE),
      expected: { kind: 'switch', keyId: 2, current: null },
    },
    {
      name: 'an active key of this lane comes before an earlier active key of another lane',
      keys: [key(1, 'active', null, OTHER), key(2, 'active', null, LANE)],
      lane: lane(LANE),
      expected: { kind: 'switch', keyId: 2, current: null },
    },
    {
      name: 'keys of this lane and of none share the first tier: this lane key first by creation',
      keys: [key(1, 'active', null, LANE), key(2, 'active')],
      lane: lane(LANE),
      expected: { kind: 'switch', keyId: 1, current: null },
    },
    {
      name: 'keys of this lane and of none share the first tier: the unbound key first by creation',
      keys: [key(1, 'active'), key(2, 'active', null, LANE)],
      lane: lane(LANE),
      expected: { kind: 'switch', keyId: 1, current: null },
    },
    {
      name: 'an active key of another lane comes before recovered keys of this lane or none',
      keys: [
        key(1, 'cooling', PAST, LANE),
        key(2, 'error', PAST),
        key(3, 'active', null, OTHER),
        key(4, 'active', null, THIRD),
      ],
      lane: lane(LANE),
      expected: { kind: 'switch', keyId: 3, current: null },
    },
    {
      name: 'a recovered key of this lane or none comes before an earlier one of another lane',
      keys: [key(1, 'error', PAST, OTHER), key(2, 'cooling', PAST, LANE), key(3, 'error', PAST)],
      lane: lane(LANE),
      expected: { kind: 'switch', keyId: 2, current: null },
    },
    {
      name: 'recovered keys of other lanes come last, the earliest-created first',
      keys: [
        key(1, 'invalid'),
        key(2, 'cooling', PAST, THIRD),
        key(3, 'error', PAST, OTHER),
        key(4, 'cooling', FUTURE),
      ],
      lane: lane(LANE, 1),
      expected: {
        kind: 'switch',
        keyId: 2,
        current: { keyId: 1, status: 'invalid', cooldownUntil: null },
      },
    },
  ]

  const availability: Case[] = [
    {
      name: 'an active key not yet available here is skipped for a recovered one that is',
      keys: [key(1, 'active', null, OTHER), key(2, 'cooling', PAST, THIRD)],
      lane: lane(LANE, null, { 1: FUTURE }),
      expected: { kind: 'switch', keyId: 2, current: null },
    },
    {
      name: 'no key available yet: none, retryAt when the first one becomes available',
      keys: [key(1, 'active', null, OTHER), key(2, 'active', null, THIRD), key(3, 'invalid')],
      lane: lane(LANE, null, { 1: LATER, 2: FUTURE }),
      expected: { kind: 'none', current: null, retryAt: FUTURE },
    },
    {
      name: 'a cooling key whose cooldown ends after it becomes available: retryAt its cooldown end',
      keys: [key(1, 'cooling', LATER, OTHER)],
      lane: lane(LANE, null, { 1: FUTURE }),
      expected: { kind: 'none', current: null, retryAt: LATER },
    },
    {
      name: 'a cooling key available only after its cooldown ends: retryAt when it is available',
      keys: [key(1, 'cooling', FUTURE, OTHER)],
      lane: lane(LANE, null, { 1: LATER }),
      expected: { kind: 'none', current: null, retryAt: LATER },
    },
    {
      name: 'an error key past its cooldown but not yet available here waits for the lane',
      keys: [key(1, 'error', PAST, OTHER)],
      lane: lane(LANE, null, { 1: FUTURE }),
      expected: { kind: 'none', current: null, retryAt: FUTURE },
    },
    {
      name: 'retryAt is the earliest time a key is both past its cooldown and available',
      keys: [
        key(1, 'cooling', FUTURE, OTHER),
        key(2, 'error', LATER, OTHER),
        key(3, 'active', null, THIRD),
      ],
      lane: lane(LANE, null, { 1: LATEST, 2: FUTURE, 3: LATEST }),
      expected: { kind: 'none', current: null, retryAt: LATER },
    },
    {
      name: 'a key in flight on another lane (available at Infinity) is skipped, no retryAt from it',
      keys: [key(1, 'active', null, OTHER), key(2, 'cooling', LATER, THIRD), key(3, 'invalid')],
      lane: lane(LANE, null, { 1: Number.POSITIVE_INFINITY, 2: Number.POSITIVE_INFINITY }),
      expected: { kind: 'none', current: null, retryAt: null },
    },
    {
      name: 'a key in flight elsewhere leaves retryAt to the keys that will be available',
      keys: [key(1, 'active', null, OTHER), key(2, 'active', null, THIRD)],
      lane: lane(LANE, null, { 1: Number.POSITIVE_INFINITY, 2: LATER }),
      expected: { kind: 'none', current: null, retryAt: LATER },
    },
    {
      name: 'keys that will never be usable give no retryAt, whatever their availability',
      keys: [
        key(1, 'invalid', null, OTHER),
        key(2, 'insufficient'),
        key(3, 'disabled', null, LANE),
      ],
      lane: lane(LANE, 2, { 1: FUTURE, 2: LATER, 3: FUTURE }),
      expected: {
        kind: 'none',
        current: { keyId: 2, status: 'insufficient', cooldownUntil: null },
        retryAt: null,
      },
    },
  ]

  describe('the lane key stays while usable and available', () => {
    it.each(keepCurrent)('$name', (c) => {
      expect(select(c)).toEqual(c.expected)
    })
  })

  describe('without bindings: active first, then recovered, creation order', () => {
    it.each(unboundPool)('$name', (c) => {
      expect(select(c)).toEqual(c.expected)
    })
  })

  describe('tiers: active own/unbound, active of other lanes, recovered own/unbound, recovered of others', () => {
    it.each(tiers)('$name', (c) => {
      expect(select(c)).toEqual(c.expected)
    })
  })

  describe('availability on the lane', () => {
    it.each(availability)('$name', (c) => {
      expect(select(c)).toEqual(c.expected)
    })
  })

  it('never looks at the other keys while the lane key stays', () => {
    const keys: Iterable<Key> = {
      [Symbol.iterator]: () => {
        throw new Error('scanned the pool')
      },
    }
    const current = key(4, 'active', null, LANE)
    expect(selectKey(keys, current, lane(LANE, 4), T0)).toEqual({ kind: 'current', keyId: 4 })
  })

  it('asks the lane with each key binding: a key of another lane waits out the guard there', () => {
    const guard = 10 * MIN
    const keys: Key[] = [
      { ...key(1, 'active', null, OTHER), egressUsedAt: T0 - 4 * MIN },
      { ...key(2, 'active', null, THIRD), egressUsedAt: T0 - 7 * MIN },
      key(3, 'insufficient', null, LANE),
    ]
    const l = guardedLane(LANE, 3, guard)
    const current = { keyId: 3, status: 'insufficient', cooldownUntil: null } as const
    expect(selectKey(keys, keys[2], l, T0)).toEqual({
      kind: 'none',
      current,
      retryAt: T0 + 3 * MIN,
    })
    expect(selectKey(keys, keys[2], l, T0 + 3 * MIN)).toEqual({ kind: 'switch', keyId: 2, current })
    expect(selectKey(keys, keys[2], l, T0 + 6 * MIN)).toEqual({ kind: 'switch', keyId: 1, current })
    // The lanes the keys are bound to take them at once.
    expect(selectKey(keys, undefined, guardedLane(THIRD, null, guard), T0)).toMatchObject({
      keyId: 2,
    })
  })
})

describe('pool.select', () => {
  it('makes cooling and error keys candidates again when their cooldown ends', async () => {
    const { pool, clock } = await createTestPool({ settings: { keyErrorThreshold: 1 } })
    const [first = 0, second = 0] = await addKeys(pool, [fakeKey(1), fakeKey(2)])
    const lanes = lane(LANE, first)
    await pool.report(first, { kind: 'rateLimited', retryAfterMs: 30_000 })
    await pool.report(second, { kind: 'networkError', code: 'ECONNREFUSED' })
    expect(pool.select(lanes)).toEqual({
      kind: 'none',
      current: { keyId: first, status: 'cooling', cooldownUntil: T0 + 30_000 },
      retryAt: T0 + 30_000,
    })
    clock.advance(30_000)
    expect(pool.select(lanes)).toEqual({ kind: 'current', keyId: first })
    // The error key (10 min cooldown) becomes a candidate later, and only then.
    expect(pool.select(lanes, T0 + 10 * MIN - 1)).toMatchObject({ kind: 'current' })
    pool.update(first, { enabled: false })
    expect(pool.select(lanes, T0 + 10 * MIN - 1)).toMatchObject({ kind: 'none' })
    expect(pool.select(lanes, T0 + 10 * MIN)).toMatchObject({ kind: 'switch', keyId: second })
  })

  it('a lane whose key was deleted has no current key: the next key replaces it', async () => {
    const { pool } = await createTestPool()
    const [first = 0, second = 0] = await addKeys(pool, [fakeKey(1), fakeKey(2)])
    pool.bind(first, LANE, T0)
    await pool.remove([first])
    expect(pool.select(lane(LANE, first))).toEqual({ kind: 'switch', keyId: second, current: null })
  })

  it('reads the bindings bind wrote: a key of another lane is taken only after the guard', async () => {
    const { pool } = await createTestPool()
    const guard = 10 * MIN
    const [a = 0, b = 0] = await addKeys(pool, [fakeKey(1), fakeKey(2)])
    pool.bind(a, OTHER, T0 - 2 * MIN)
    expect(pool.select(guardedLane(LANE, null, guard), T0)).toMatchObject({ keyId: b })
    pool.update(b, { enabled: false })
    expect(pool.select(guardedLane(LANE, null, guard), T0)).toEqual({
      kind: 'none',
      current: null,
      retryAt: T0 + 8 * MIN,
    })
    expect(pool.select(guardedLane(LANE, null, guard), T0 + 8 * MIN)).toMatchObject({
      kind: 'switch',
      keyId: a,
    })
    expect(pool.select(guardedLane(OTHER, a, guard), T0)).toEqual({ kind: 'current', keyId: a })
  })

  it('never writes: the database and the events are the same before and after', async () => {
    const { pool, storage } = await createTestPool()
    const [a = 0] = await addKeys(pool, [fakeKey(1), fakeKey(2)])
    const rows = JSON.stringify(await storedKeys(storage))
    const events = (await storedEvents(storage, { limit: 100 })).length
    const changes: number[] = []
    pool.onChange(() => changes.push(1))
    for (let i = 0; i < 5; i++) {
      pool.select(lane(LANE), T0 + i * 1000)
      pool.select(lane(OTHER, a), T0 + i * 1000)
      pool.select(lane(THIRD, 99, { [a]: FUTURE }), T0 + i * 1000)
    }
    expect(JSON.stringify(await storedKeys(storage))).toBe(rows)
    expect(await storedEvents(storage, { limit: 100 })).toHaveLength(events)
    expect([...pool.rows()].map((row) => row.egressId)).toEqual([null, null])
    expect(changes).toEqual([])
    expect(pool.status().currentKeyId).toBeNull()
  })
})
