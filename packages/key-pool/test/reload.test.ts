import { describe, expect, it } from 'vitest'
import { COUNTER_FLUSH_MS } from '../src/key-store.js'
import { addKeys, createTestPool, fakeKey, storedKeys, writesLanded } from './helpers/test-pool.js'

/**
 * `pool.reload()` (cluster mode, docs/behaviour.md §9): another instance changed the key rows;
 * this pool reads them again, its own unwritten changes staying on top.
 */

const KEYS = Array.from({ length: 4 }, (_, i) => fakeKey(i + 1))

describe('reload', () => {
  it('follows keys added, deleted and changed elsewhere; telling listeners once', async () => {
    const { pool, dataDir, clock } = await createTestPool()
    const [kept = 0, gone = 0, changed = 0] = await addKeys(pool, KEYS.slice(0, 3))
    // Another instance: its own pool, on its own connection to the same database.
    const elsewhere = await createTestPool({ dataDir, clock })
    const other = elsewhere.storage
    const [added = 0] = await addKeys(elsewhere.pool, [KEYS[3] ?? ''])
    await other.upstreamKeys.remove([gone])
    await other.upstreamKeys.update(changed, {
      status: 'invalid',
      egressId: 3,
      egressUsedAt: clock.now(),
    })
    // Not seen before the reload.
    expect(pool.row(added)).toBeUndefined()
    expect(pool.row(gone)).toBeDefined()

    let told = 0
    pool.onChange(() => {
      told += 1
    })
    await pool.reload()
    expect(told).toBe(1)
    expect([...pool.rows()].map((row) => row.id)).toEqual([kept, changed, added])
    expect(pool.row(gone)).toBeUndefined()
    expect(pool.row(changed)).toMatchObject({ status: 'invalid', egressId: 3 })
    expect(pool.view(changed)?.status).toBe('invalid')
    expect(pool.status().total).toBe(3)
    // The new key counts as a duplicate here now; the deleted one no longer does.
    const again = await pool.add({ api_keys: [KEYS[3], KEYS[1]].join('\n') })
    expect(again.duplicates).toBe(1)
    expect(again.added).toHaveLength(1)
    expect(pool.status().total).toBe(4)
  })

  it('keeps a queued counter patch of this pool on top of the row read again', async () => {
    const { pool, storage, clock } = await createTestPool()
    const [id = 0] = await addKeys(pool, [KEYS[0] ?? ''])
    await writesLanded()
    await pool.report(id, { kind: 'success' })
    await pool.report(id, { kind: 'success' })
    await writesLanded()
    // The counters wait for COUNTER_FLUSH_MS: the stored row does not have them yet.
    expect((await storedKeys(storage))[0]?.callCount).toBe(0)
    await storage.upstreamKeys.update(id, { label: 'set elsewhere' })

    await pool.reload()
    expect(pool.row(id)).toMatchObject({ callCount: 2, label: 'set elsewhere' })
    clock.advance(COUNTER_FLUSH_MS)
    expect((await storedKeys(storage))[0]).toMatchObject({
      callCount: 2,
      label: 'set elsewhere',
    })
  })

  it('a reload with nothing changed keeps every row as it was', async () => {
    const { pool } = await createTestPool()
    await addKeys(pool, KEYS)
    await writesLanded()
    const before = [...pool.rows()].map((row) => ({ ...row }))
    await pool.reload()
    expect([...pool.rows()]).toEqual(before)
  })
})
