import { describe, expect, it } from 'vitest'
import { postgresStorage } from '../../src/pg/index.js'
import type { Storage } from '../../src/storage.js'
import { describePostgres, useTestSchema } from '../helpers/postgres.js'
import { useSqlite } from './dialects.js'
import { newEgress, newKey, T0 } from './rows.js'

/**
 * The statements of cluster mode (docs/behaviour.md §9) that go under a lane's lease: a fenced
 * write of a lane's row, and a key claimed for a lane. PostgreSQL does the work; SQLite (one
 * process, no leases) always applies them.
 */

const MINUTE = 60_000
const WINDOW = 30 * MINUTE
const NOW = T0 + 24 * 60 * MINUTE
const A = 'instance-a'
const B = 'instance-b'

async function insertEgress(storage: Storage, host: string): Promise<number> {
  const row = await storage.egresses.insert(newEgress(host))
  if (row === undefined) throw new Error(`egress ${host} not inserted`)
  return row.id
}

async function insertKey(storage: Storage, name: string): Promise<number> {
  const [row] = await storage.upstreamKeys.insertMany([newKey(name)])
  if (row === undefined) throw new Error(`key ${name} not inserted`)
  return row.id
}

async function keyRow(storage: Storage, id: number) {
  return (await storage.upstreamKeys.all()).find((row) => row.id === id)
}

async function egressRow(storage: Storage, id: number) {
  return (await storage.egresses.all()).find((row) => row.id === id)
}

describePostgres('lane claims [postgres]', () => {
  const schema = useTestSchema()

  async function open() {
    const handle = await schema.open()
    const storage = postgresStorage(handle)
    /** A lane's lease row, as the lease manager writes it (packages/cluster lease-store.ts). */
    const lease = async (egressId: number, holder: string, token: number) => {
      await handle.pool.query(
        `INSERT INTO lane_leases (egress_id, holder_instance_id, fencing_token, expires_at)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (egress_id) DO UPDATE SET holder_instance_id = $2, fencing_token = $3,
           expires_at = $4`,
        [egressId, holder, token, NOW + MINUTE],
      )
    }
    return { handle, storage, lease }
  }

  describe('egresses.updateFenced', () => {
    it('applies under the current holder and token only', async () => {
      const { storage, lease } = await open()
      const lane = await insertEgress(storage, 'lane')
      await lease(lane, A, 5)

      expect(
        await storage.egresses.updateFenced(lane, { guardKeyId: 1 }, { instanceId: A, token: 5 }),
      ).toBe(true)
      expect(await egressRow(storage, lane)).toMatchObject({ guardKeyId: 1 })

      // A stale token (the lane was taken over and given back since), another holder.
      expect(
        await storage.egresses.updateFenced(lane, { guardKeyId: 2 }, { instanceId: A, token: 4 }),
      ).toBe(false)
      expect(
        await storage.egresses.updateFenced(lane, { guardKeyId: 3 }, { instanceId: B, token: 5 }),
      ).toBe(false)
      expect(await egressRow(storage, lane)).toMatchObject({ guardKeyId: 1 })

      // Taken over by B: A's late write changes nothing, B's applies.
      await lease(lane, B, 6)
      expect(
        await storage.egresses.updateFenced(lane, { guardKeyId: 4 }, { instanceId: A, token: 5 }),
      ).toBe(false)
      expect(
        await storage.egresses.updateFenced(lane, { guardKeyId: 5 }, { instanceId: B, token: 6 }),
      ).toBe(true)
      expect(await egressRow(storage, lane)).toMatchObject({ guardKeyId: 5 })
    })

    it('applies nowhere without a lease row, and never to another lane’s row', async () => {
      const { storage, lease } = await open()
      const leased = await insertEgress(storage, 'leased')
      const bare = await insertEgress(storage, 'bare')
      await lease(leased, A, 1)
      expect(
        await storage.egresses.updateFenced(bare, { label: 'x' }, { instanceId: A, token: 1 }),
      ).toBe(false)
      expect(await egressRow(storage, bare)).toMatchObject({ label: null })
      // The same fence on a second statement shape (other columns) is checked the same way.
      expect(
        await storage.egresses.updateFenced(leased, { label: 'y' }, { instanceId: A, token: 1 }),
      ).toBe(true)
      expect(
        await storage.egresses.updateFenced(leased, { label: 'z' }, { instanceId: A, token: 2 }),
      ).toBe(false)
      expect(await egressRow(storage, leased)).toMatchObject({ label: 'y' })
    })
  })

  describe('upstreamKeys.updateFenced', () => {
    it("writes a key's binding under its lane's current lease only", async () => {
      const { storage, lease } = await open()
      const lane = await insertEgress(storage, 'lane')
      const key = await insertKey(storage, 'k')
      await lease(lane, A, 5)
      const under = (instanceId: string, token: number) => ({ egressId: lane, instanceId, token })

      const first = { egressId: lane, egressUsedAt: NOW }
      expect(await storage.upstreamKeys.updateFenced(key, first, under(A, 5))).toBe(true)
      expect(await keyRow(storage, key)).toMatchObject(first)

      // B took the lane over and used the key later; A, which stalled past its lease, wakes up
      // and writes an older last use: refused, B's stays.
      await lease(lane, B, 6)
      const later = { egressId: lane, egressUsedAt: NOW + MINUTE }
      expect(await storage.upstreamKeys.updateFenced(key, later, under(B, 6))).toBe(true)
      const stale = { egressId: lane, egressUsedAt: NOW + 1 }
      expect(await storage.upstreamKeys.updateFenced(key, stale, under(A, 5))).toBe(false)
      expect(await keyRow(storage, key)).toMatchObject(later)
    })
  })

  describe('upstreamKeys.claim', () => {
    it('binds an unbound key to the lane under its lease', async () => {
      const { storage, lease } = await open()
      const lane = await insertEgress(storage, 'lane')
      const key = await insertKey(storage, 'k')
      await lease(lane, A, 1)
      expect(
        await storage.upstreamKeys.claim(key, lane, NOW, WINDOW, { instanceId: A, token: 1 }),
      ).toBe(true)
      expect(await keyRow(storage, key)).toMatchObject({ egressId: lane, egressUsedAt: NOW })
      // Already the lane's: claimed again at once, the last use never moving back.
      expect(
        await storage.upstreamKeys.claim(key, lane, NOW - MINUTE, WINDOW, {
          instanceId: A,
          token: 1,
        }),
      ).toBe(true)
      expect(await keyRow(storage, key)).toMatchObject({ egressId: lane, egressUsedAt: NOW })
    })

    it('refuses without a matching lease row (the fence)', async () => {
      const { storage, lease } = await open()
      const lane = await insertEgress(storage, 'lane')
      const key = await insertKey(storage, 'k')
      const fence = { instanceId: A, token: 3 }
      expect(await storage.upstreamKeys.claim(key, lane, NOW, WINDOW, fence)).toBe(false)
      await lease(lane, A, 4)
      expect(await storage.upstreamKeys.claim(key, lane, NOW, WINDOW, fence)).toBe(false)
      await lease(lane, B, 3)
      expect(await storage.upstreamKeys.claim(key, lane, NOW, WINDOW, fence)).toBe(false)
      expect(await keyRow(storage, key)).toMatchObject({ egressId: null, egressUsedAt: null })
      await lease(lane, A, 3)
      expect(await storage.upstreamKeys.claim(key, lane, NOW, WINDOW, fence)).toBe(true)
    })

    it('refuses a key another lane used within the window (its binding’s last use), accepts it after', async () => {
      const { storage, lease } = await open()
      const mine = await insertEgress(storage, 'mine')
      const theirs = await insertEgress(storage, 'theirs')
      const key = await insertKey(storage, 'k')
      await lease(mine, A, 1)
      await lease(theirs, B, 1)
      const used = NOW - 10 * MINUTE
      await storage.upstreamKeys.update(key, { egressId: theirs, egressUsedAt: used })
      const fence = { instanceId: A, token: 1 }
      expect(await storage.upstreamKeys.claim(key, mine, NOW, WINDOW, fence)).toBe(false)
      expect(await keyRow(storage, key)).toMatchObject({ egressId: theirs, egressUsedAt: used })
      // The window is measured from the last use: one ms short, then exactly over.
      const over = used + WINDOW
      expect(await storage.upstreamKeys.claim(key, mine, over - 1, WINDOW, fence)).toBe(false)
      expect(await storage.upstreamKeys.claim(key, mine, over, WINDOW, fence)).toBe(true)
      expect(await keyRow(storage, key)).toMatchObject({ egressId: mine, egressUsedAt: over })
    })

    it('refuses a key its lane’s guard memory used within the window, though its binding is older', async () => {
      const { storage, lease } = await open()
      const mine = await insertEgress(storage, 'mine')
      const theirs = await insertEgress(storage, 'theirs')
      const key = await insertKey(storage, 'k')
      const other = await insertKey(storage, 'other')
      await lease(mine, A, 1)
      const fence = { instanceId: A, token: 1 }
      // The binding's last use is old; the lane's guard memory (written more often) is recent.
      await storage.upstreamKeys.update(key, { egressId: theirs, egressUsedAt: NOW - 2 * WINDOW })
      await storage.egresses.update(theirs, { guardKeyId: key, guardUsedAt: NOW - MINUTE })
      expect(await storage.upstreamKeys.claim(key, mine, NOW, WINDOW, fence)).toBe(false)
      expect(await keyRow(storage, key)).toMatchObject({ egressId: theirs })
      // The lane has moved on to another key: its memory says nothing about this one.
      await storage.egresses.update(theirs, { guardKeyId: other })
      expect(await storage.upstreamKeys.claim(key, mine, NOW, WINDOW, fence)).toBe(true)
      expect(await keyRow(storage, key)).toMatchObject({ egressId: mine, egressUsedAt: NOW })
    })

    it('accepts a key whose lane’s guard memory is past the window', async () => {
      const { storage, lease } = await open()
      const mine = await insertEgress(storage, 'mine')
      const theirs = await insertEgress(storage, 'theirs')
      const key = await insertKey(storage, 'k')
      await lease(mine, A, 1)
      await storage.upstreamKeys.update(key, { egressId: theirs, egressUsedAt: NOW - 2 * WINDOW })
      await storage.egresses.update(theirs, { guardKeyId: key, guardUsedAt: NOW - WINDOW })
      expect(
        await storage.upstreamKeys.claim(key, mine, NOW, WINDOW, { instanceId: A, token: 1 }),
      ).toBe(true)
    })

    // Invariant 3 (docs/behaviour.md §8): deleting an egress unbinds its keys and still honours
    // their last use. An instance whose copy of the row is stale (still unbound, with an old last
    // use) must not claim a key whose deleted lane sent it a moment ago: an unbound key too must
    // have rested.
    it('refuses an unbound key used within the window (its egress was deleted)', async () => {
      const { storage, lease } = await open()
      const mine = await insertEgress(storage, 'mine')
      const deleted = await insertEgress(storage, 'deleted')
      const key = await insertKey(storage, 'k')
      await lease(mine, A, 1)
      await storage.upstreamKeys.update(key, { egressId: deleted, egressUsedAt: NOW - MINUTE })
      await storage.egresses.remove(deleted)
      expect(await keyRow(storage, key)).toMatchObject({
        egressId: null,
        egressUsedAt: NOW - MINUTE,
      })
      expect(
        await storage.upstreamKeys.claim(key, mine, NOW, WINDOW, { instanceId: A, token: 1 }),
      ).toBe(false)
    })

    it('two lanes claiming one key at the same moment: exactly one wins', async () => {
      const { handle, storage, lease } = await open()
      const laneA = await insertEgress(storage, 'lane-a')
      const laneB = await insertEgress(storage, 'lane-b')
      await lease(laneA, A, 1)
      await lease(laneB, B, 1)
      for (let round = 0; round < 5; round++) {
        const key = await insertKey(storage, `k${round}`)
        // Hold the key's row, so that both statements start, see it unbound, and queue on it.
        const locker = await handle.pool.connect()
        try {
          await locker.query('BEGIN')
          await locker.query('SELECT id FROM upstream_keys WHERE id = $1 FOR UPDATE', [key])
          const pid = (await locker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'))
            .rows[0]?.pid
          const claims = Promise.all([
            storage.upstreamKeys.claim(key, laneA, NOW, WINDOW, { instanceId: A, token: 1 }),
            storage.upstreamKeys.claim(key, laneB, NOW, WINDOW, { instanceId: B, token: 1 }),
          ])
          await waitForBlocked(schema, pid, 2)
          await locker.query('COMMIT')
          const results = await claims
          expect(results.filter(Boolean)).toHaveLength(1)
          const winner = results[0] ? laneA : laneB
          expect(await keyRow(storage, key)).toMatchObject({ egressId: winner, egressUsedAt: NOW })
        } finally {
          locker.release()
        }
      }
    })
  })
})

/**
 * Waits until `count` sessions queue behind `pid` (directly, or behind one that does). Bounded
 * by the number of polls, not by time: a claim that never blocks fails the test here.
 */
async function waitForBlocked(
  schema: ReturnType<typeof useTestSchema>,
  pid: number | undefined,
  count: number,
): Promise<void> {
  for (let poll = 0; poll < 500; poll++) {
    const [row] = await schema.query<{ waiting: number }>(
      `SELECT count(*)::int AS waiting FROM pg_stat_activity a
       WHERE a.wait_event_type = 'Lock' AND ($1 = ANY(pg_blocking_pids(a.pid)) OR EXISTS (
         SELECT 1 FROM pg_stat_activity b
         WHERE b.pid = ANY(pg_blocking_pids(a.pid)) AND $1 = ANY(pg_blocking_pids(b.pid))))`,
      [pid],
    )
    if ((row?.waiting ?? 0) >= count) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`fewer than ${count} sessions ever waited behind the locked row`)
}

describe('lane claims [sqlite]: one process, no leases', () => {
  const openSqlite = useSqlite()

  it('updateFenced always applies', async () => {
    const storage = openSqlite()
    const lane = await insertEgress(storage, 'lane')
    expect(
      await storage.egresses.updateFenced(lane, { guardKeyId: 9 }, { instanceId: A, token: 1 }),
    ).toBe(true)
    expect(await egressRow(storage, lane)).toMatchObject({ guardKeyId: 9 })
  })

  it('upstreamKeys.updateFenced always applies', async () => {
    const storage = openSqlite()
    const lane = await insertEgress(storage, 'lane')
    const key = await insertKey(storage, 'k')
    const fence = { egressId: lane, instanceId: A, token: 1 }
    expect(
      await storage.upstreamKeys.updateFenced(key, { egressId: lane, egressUsedAt: NOW }, fence),
    ).toBe(true)
    expect(await keyRow(storage, key)).toMatchObject({ egressId: lane, egressUsedAt: NOW })
  })

  it('claim always binds the key to the lane', async () => {
    const storage = openSqlite()
    const mine = await insertEgress(storage, 'mine')
    const theirs = await insertEgress(storage, 'theirs')
    const key = await insertKey(storage, 'k')
    await storage.upstreamKeys.update(key, { egressId: theirs, egressUsedAt: NOW - MINUTE })
    expect(
      await storage.upstreamKeys.claim(key, mine, NOW, WINDOW, { instanceId: A, token: 1 }),
    ).toBe(true)
    expect(await keyRow(storage, key)).toMatchObject({ egressId: mine, egressUsedAt: NOW })
  })
})
