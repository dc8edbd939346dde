import { SETTING } from '@sfp/db'
import { describe, expect, it } from 'vitest'
import { COUNTER_FLUSH_MS } from '../src/key-store.js'
import { keysInUse, lane, switched } from './helpers/lanes.js'
import { addKeys, createTestPool, fakeKey, startUpstream, storedKeys } from './helpers/test-pool.js'

const KEYS = Array.from({ length: 6 }, (_, i) => fakeKey(i + 1))

describe('restart', () => {
  it('restores states, cooldowns, counters, balances, labels and lane bindings exactly', async () => {
    const upstream = await startUpstream({
      [KEYS[1] ?? '']: { totalBalance: '5.00' },
      [KEYS[2] ?? '']: { totalBalance: '0.20' },
      [KEYS[5] ?? '']: { totalBalance: '25.00' },
    })
    const before = await createTestPool({
      settings: {
        upstreamBaseUrl: upstream.url,
        keyErrorThreshold: 2,
        autoQueryBalanceAfterCalls: 3,
      },
    })
    const { pool, clock } = before
    const [cooling = 0, failing = 0, poor = 0, off = 0, bad = 0, used = 0] = await addKeys(
      pool,
      KEYS,
    )
    await pool.report(cooling, { kind: 'rateLimited', retryAfterMs: null })
    await pool.report(cooling, { kind: 'rateLimited', retryAfterMs: null })
    for (let i = 0; i < 2; i++)
      await pool.report(failing, { kind: 'upstreamError', status: 502, message: 'Bad gateway' })
    await pool.report(poor, { kind: 'forbidden', status: 403 })
    pool.update(off, { enabled: false, label: 'spare' })
    await pool.report(bad, { kind: 'unauthorized' })
    // Lane 1 uses `used`; lane 2 used `bad` before it became invalid.
    const boundAt = clock.now()
    pool.bind(bad, 2, boundAt - 5000)
    pool.bind(used, 1, boundAt, switched(used))
    pool.useKeysInUse(keysInUse(used))
    await pool.check(used)
    clock.advance(1000)
    for (let i = 0; i < 2; i++) await pool.report(used, { kind: 'success' })
    await pool.settled()

    const listed = pool.list({ offset: 0 })
    const selections = [lane(1, used), lane(2, bad), lane(3)].map((l) => pool.select(l))
    const rows = [...pool.rows()].map((row) => ({ ...row }))
    expect(listed.keys.map((k) => k.status)).toEqual([
      'cooling',
      'error',
      'insufficient',
      'disabled',
      'invalid',
      'active',
    ])

    const after = await before.restart()
    // The dispatch tells the new pool again which keys its lanes use.
    after.pool.useKeysInUse(keysInUse(used))
    // A clean stop writes the counters still pending (see the crash test below).
    expect([...after.pool.rows()]).toEqual(rows)
    expect(after.pool.row(used)).toMatchObject({ egressId: 1, egressUsedAt: boundAt })
    expect(after.pool.row(bad)).toMatchObject({ egressId: 2, egressUsedAt: boundAt - 5000 })
    expect(after.pool.list({ offset: 0 })).toEqual(listed)
    expect([lane(1, used), lane(2, bad), lane(3)].map((l) => after.pool.select(l))).toEqual(
      selections,
    )
    expect(after.pool.status()).toEqual(pool.status())
    expect(after.pool.status().currentKeyId).toBe(used)

    // Counters carry on: the third success since the last check triggers the next one.
    const requestsBefore = upstream.requests.length
    await after.pool.report(used, { kind: 'success' })
    await after.pool.settled()
    expect(upstream.requests.slice(requestsBefore).map((r) => r.key)).toEqual([KEYS[5]])
  })

  it('writes states at once and usage counters within a second, so a crash loses only counts', async () => {
    const { pool, storage, clock } = await createTestPool()
    const [id = 0] = await addKeys(pool, [KEYS[0] ?? ''])
    const stored = async () => (await storedKeys(storage))[0]
    await pool.report(id, { kind: 'success' })
    await pool.report(id, { kind: 'clientError', status: 400 })
    expect(pool.view(id)?.callCount).toBe(2)
    expect((await stored())?.callCount).toBe(0)
    clock.advance(COUNTER_FLUSH_MS)
    expect((await stored())?.callCount).toBe(2)

    await pool.report(id, { kind: 'success' })
    await pool.report(id, { kind: 'rateLimited', retryAfterMs: 5000 })
    // A state change is written at once, with the counters pending for the key.
    expect(await stored()).toMatchObject({ status: 'cooling', callCount: 4, rateLimitStrikes: 1 })
  })

  it('tells a change again once its write, failed at first, has landed', async () => {
    const { pool, storage, clock } = await createTestPool()
    const [id = 0] = await addKeys(pool, [KEYS[0] ?? ''])
    pool.takeLocalChanges()
    const keys = storage.upstreamKeys
    const update = keys.update.bind(keys)
    let failing = true
    keys.update = async (...args) => {
      if (failing) throw new Error('deadlock detected')
      return update(...args)
    }
    let told = 0
    pool.onChange(() => {
      told += 1
    })
    pool.update(id, { label: 'main' })
    await pool.flush()
    // Told once (cluster mode: the others read the row, the label not in it yet).
    expect(pool.takeLocalChanges()).toEqual([id])
    expect((await storedKeys(storage))[0]?.label).toBeNull()
    const toldBefore = told
    failing = false
    clock.advance(COUNTER_FLUSH_MS)
    await pool.flush()
    expect((await storedKeys(storage))[0]?.label).toBe('main')
    expect(pool.takeLocalChanges()).toEqual([id])
    expect(told).toBeGreaterThan(toldBefore)
  })

  it('writes a run of successes as the row in memory stands after the last, its time included', async () => {
    const { pool, storage, clock } = await createTestPool()
    const [id = 0] = await addKeys(pool, [KEYS[0] ?? ''])
    // The first queues the key's write, the second merges into a copy, the rest fold into it.
    for (let i = 0; i < 5; i++) {
      clock.advance(7)
      await pool.report(id, { kind: 'success' })
    }
    clock.advance(COUNTER_FLUSH_MS)
    const { callCount, lastUsedAt, updatedAt, successesSinceCheck } = pool.row(id) ?? {}
    expect(callCount).toBe(5)
    expect((await storedKeys(storage))[0]).toMatchObject({
      callCount,
      lastUsedAt,
      updatedAt,
      successesSinceCheck,
    })
    expect(updatedAt).toBe(lastUsedAt)
  })

  it('neither reads nor removes the stored key in use of the single-IP days', async () => {
    // SETTING.currentKeyId is the egress boot's to migrate (to the direct lane) and delete.
    const before = await createTestPool()
    const [id = 0] = await addKeys(before.pool, [KEYS[0] ?? ''])
    await before.storage.settings.set(SETTING.currentKeyId, String(id))
    const after = await before.restart()
    expect(after.pool.status().currentKeyId).toBeNull()
    expect(after.pool.view(id)?.isCurrent).toBe(false)
    expect(await after.storage.settings.get(SETTING.currentKeyId)).toBe(String(id))
  })
})
