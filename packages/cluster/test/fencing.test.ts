import { egresses } from '@sfp/db/pg'
import { createManualClock } from '@sfp/test-support'
import { describePostgres } from '@sfp/test-support/postgres'
import { and, eq } from 'drizzle-orm'
import { afterEach, expect, it } from 'vitest'
import { fenceClause, fenced, type LaneFence } from '../src/index.js'
import {
  insertEgresses,
  type TestManager,
  testManager,
  useClusterSchema,
  waitFor,
} from './helpers/cluster.js'

describePostgres('fenced writes on a lane behalf', () => {
  const schema = useClusterSchema()
  const started: TestManager[] = []
  afterEach(async () => {
    await Promise.all(started.splice(0).map(({ manager }) => manager.stop()))
  })

  it('refuses the write of a holder that stalled past its lease, keeps the new holder one', async () => {
    const handle = await schema.open()
    const [ownStalled, ownLive, lane] = (await insertEgresses(handle, 3)) as [
      number,
      number,
      number,
    ]
    // Its clock frozen, the stalled instance still believes it holds the lane (a SIGSTOP).
    const stalled = testManager(
      handle,
      'instance-stalled',
      { own: [ownStalled], shared: [lane] },
      {
        clock: createManualClock(Date.now()),
      },
    )
    started.push(stalled)
    await stalled.manager.start()
    const staleFence = stalled.manager.fence(lane) as LaneFence
    expect(staleFence).toEqual({ egressId: lane, instanceId: 'instance-stalled', token: 1 })

    const live = testManager(handle, 'instance-live', { own: [ownLive], shared: [lane] })
    started.push(live)
    await live.manager.start()
    await waitFor('the takeover', () => live.manager.holds(lane))
    const fence = live.manager.fence(lane) as LaneFence
    expect(fence.token).toBe(2)

    const writeGuard = async (by: LaneFence, keyId: number) => {
      const clause = fenceClause(by, 3)
      const result = await handle.pool.query(
        `UPDATE egresses SET guard_key_id = $1 WHERE id = $2 AND ${clause.condition}`,
        [keyId, lane, ...clause.values],
      )
      return result.rowCount
    }
    expect(await writeGuard(fence, 7)).toBe(1)
    expect(await writeGuard(staleFence, 9)).toBe(0)

    const drizzleWrite = (by: LaneFence, keyId: number) =>
      handle.db
        .update(egresses)
        .set({ guardKeyId: keyId })
        .where(and(eq(egresses.id, lane), fenced(by)))
        .returning({ id: egresses.id })
    expect(await drizzleWrite(staleFence, 9)).toEqual([])
    expect(await drizzleWrite(fence, 8)).toEqual([{ id: lane }])

    const [row] = await schema.query<{ guard_key_id: number }>(
      `SELECT guard_key_id FROM ${schema.name}.egresses WHERE id = $1`,
      [lane],
    )
    expect(row?.guard_key_id).toBe(8)
  })
})
