import type { KeyStatus } from '@sfp/schemas'
import { describe, expect, it } from 'vitest'
import { isUsable, selectKey } from '../src/selection.js'
import type { KeySelection } from '../src/types.js'
import { T0 } from './helpers/manual-clock.js'
import { addKeys, createTestPool, fakeKey } from './helpers/test-pool.js'

type Key = { id: number; status: KeyStatus; cooldownUntil: number | null }
const key = (id: number, status: KeyStatus, cooldownUntil: number | null = null): Key => ({
  id,
  status,
  cooldownUntil,
})
const PAST = T0 - 1
const FUTURE = T0 + 60_000
const LATER = T0 + 120_000

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
  const cases: { name: string; keys: Key[]; current?: number; expected: KeySelection }[] = [
    {
      name: 'keeps the key in use while it is usable, even when an earlier key is active',
      keys: [key(1, 'active'), key(2, 'active')],
      current: 2,
      expected: { kind: 'current', keyId: 2 },
    },
    {
      name: 'keeps a cooling key in use once its cooldown has passed',
      keys: [key(1, 'active'), key(2, 'cooling', PAST)],
      current: 2,
      expected: { kind: 'current', keyId: 2 },
    },
    {
      name: 'no key in use yet: the earliest-created active key',
      keys: [key(1, 'disabled'), key(2, 'invalid'), key(3, 'active'), key(4, 'active')],
      expected: { kind: 'switch', keyId: 3, current: null },
    },
    {
      name: 'the key in use is cooling: the earliest active key replaces it',
      keys: [key(1, 'cooling', FUTURE), key(2, 'insufficient'), key(3, 'active')],
      current: 1,
      expected: {
        kind: 'switch',
        keyId: 3,
        current: { keyId: 1, status: 'cooling', cooldownUntil: FUTURE },
      },
    },
    {
      name: 'active keys come before error/cooling keys past their cooldown, whatever the order',
      keys: [key(1, 'error', PAST), key(2, 'cooling', PAST), key(3, 'active'), key(4, 'invalid')],
      current: 4,
      expected: {
        kind: 'switch',
        keyId: 3,
        current: { keyId: 4, status: 'invalid', cooldownUntil: null },
      },
    },
    {
      name: 'no active key: the earliest error/cooling key past its cooldown',
      keys: [key(1, 'cooling', FUTURE), key(2, 'error', PAST), key(3, 'cooling', PAST)],
      current: 1,
      expected: {
        kind: 'switch',
        keyId: 2,
        current: { keyId: 1, status: 'cooling', cooldownUntil: FUTURE },
      },
    },
    {
      name: 'nothing usable: none, retryAt the earliest cooldown end',
      keys: [key(1, 'cooling', LATER), key(2, 'error', FUTURE), key(3, 'insufficient')],
      current: 3,
      expected: {
        kind: 'none',
        current: { keyId: 3, status: 'insufficient', cooldownUntil: null },
        retryAt: FUTURE,
      },
    },
    {
      name: 'nothing usable and nothing cooling: none without retryAt',
      keys: [key(1, 'invalid'), key(2, 'disabled'), key(3, 'insufficient')],
      expected: { kind: 'none', current: null, retryAt: null },
    },
    {
      name: 'empty pool: none',
      keys: [],
      expected: { kind: 'none', current: null, retryAt: null },
    },
  ]

  it.each(cases)('$name', ({ keys, current, expected }) => {
    const currentKey = keys.find((k) => k.id === current)
    expect(selectKey(keys, currentKey, T0)).toEqual(expected)
  })
})

describe('pool.select', () => {
  it('makes cooling and error keys candidates again when their cooldown ends', async () => {
    const { pool, clock } = createTestPool({ settings: { keyErrorThreshold: 1 } })
    const [first = 0, second = 0] = addKeys(pool, [fakeKey(1), fakeKey(2)])
    pool.setCurrent(first, 'test')
    await pool.report(first, { kind: 'rateLimited', retryAfterMs: 30_000 })
    await pool.report(second, { kind: 'networkError', code: 'ECONNREFUSED' })
    expect(pool.select()).toEqual({
      kind: 'none',
      current: { keyId: first, status: 'cooling', cooldownUntil: T0 + 30_000 },
      retryAt: T0 + 30_000,
    })
    clock.advance(30_000)
    expect(pool.select()).toEqual({ kind: 'current', keyId: first })
    // The error key (10 min cooldown) becomes a candidate later, and only then.
    expect(pool.select(T0 + 10 * 60_000 - 1)).toMatchObject({ kind: 'current' })
    pool.update(first, { enabled: false })
    expect(pool.select(T0 + 10 * 60_000 - 1)).toMatchObject({ kind: 'none' })
    expect(pool.select(T0 + 10 * 60_000)).toMatchObject({ kind: 'switch', keyId: second })
  })

  it('reports a deleted key in use as no current key', () => {
    const { pool } = createTestPool()
    const [first = 0, second = 0] = addKeys(pool, [fakeKey(1), fakeKey(2)])
    pool.setCurrent(first, 'test')
    pool.remove([first])
    expect(pool.currentKeyId()).toBeNull()
    expect(pool.select()).toEqual({ kind: 'switch', keyId: second, current: null })
  })

  it('never writes: the database and the events are the same before and after', () => {
    const { pool, storage } = createTestPool()
    addKeys(pool, [fakeKey(1), fakeKey(2)])
    const rows = JSON.stringify(storage.upstreamKeys.all())
    const events = storage.keyEvents.list({ limit: 100 }).length
    for (let i = 0; i < 5; i++) pool.select(T0 + i * 1000)
    expect(JSON.stringify(storage.upstreamKeys.all())).toBe(rows)
    expect(storage.keyEvents.list({ limit: 100 })).toHaveLength(events)
    expect(pool.currentKeyId()).toBeNull()
  })

  it('setCurrent records a switch event with its reason, once', () => {
    const { pool, storage } = createTestPool()
    const [first = 0] = addKeys(pool, [fakeKey(1)])
    pool.setCurrent(first, 'first key in use: #1')
    pool.setCurrent(first, 'again')
    const switches = storage.keyEvents.list({ limit: 10 }).filter((e) => e.type === 'switch')
    expect(switches.map((e) => [e.keyId, e.reason])).toEqual([[first, 'first key in use: #1']])
    expect(pool.select()).toEqual({ kind: 'current', keyId: first })
    expect(() => pool.setCurrent(999, 'nope')).toThrow(/No upstream key with id 999/)
  })
})
