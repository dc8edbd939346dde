import { openPostgres } from '@sfp/db/pg'
import { createManualClock } from '@sfp/test-support'
import {
  describePostgres,
  openPgGate,
  type PgGate,
  TEST_DATABASE_URL,
} from '@sfp/test-support/postgres'
import { afterEach, expect, it } from 'vitest'
import {
  insertEgresses,
  LEASE_MS,
  leaseRows,
  type TestManager,
  testManager,
  useClusterSchema,
  waitFor,
} from './helpers/cluster.js'

describePostgres('lane leases when an instance fails', () => {
  const schema = useClusterSchema()
  const started: TestManager[] = []
  const gates: PgGate[] = []
  afterEach(async () => {
    for (const gate of gates) gate.restore()
    await Promise.all(started.splice(0).map(({ manager }) => manager.stop()))
    await Promise.all(gates.splice(0).map((gate) => gate.close()))
  })

  it('a dead instance lanes are taken over only after its leases expire', async () => {
    const handle = await schema.open()
    const [ownDead, ownLive, ...shared] = (await insertEgresses(handle, 5)) as number[]
    // A clock that never moves: the instance takes its lanes, then never renews (a kill -9).
    const dead = testManager(
      handle,
      'instance-dead',
      { own: [ownDead as number], shared },
      {
        clock: createManualClock(Date.now()),
      },
    )
    started.push(dead)
    await dead.manager.start()
    const taken = (await leaseRows(schema)).rows

    const live = testManager(handle, 'instance-live', { own: [ownLive as number], shared })
    started.push(live)
    await live.manager.start()
    await waitFor('the live instance to take the shared lanes', () =>
      shared.every((id) => live.manager.holds(id)),
    )

    const after = (await leaseRows(schema)).rows
    for (const id of shared) {
      const before = taken.get(id)
      expect(before?.holder).toBe('instance-dead')
      expect(live.gainedAt.get(id)).toBeGreaterThanOrEqual(before?.expiresAt ?? Infinity)
      expect(after.get(id)).toMatchObject({
        holder: 'instance-live',
        token: (before?.token ?? 0) + 1,
      })
    }
    expect(live.manager.holds(ownDead as number)).toBe(false)
    expect(after.get(ownDead as number)?.holder).toBe('instance-dead')
    expect((await live.manager.instances()).map(({ id }) => id)).toEqual(['instance-live'])
  })

  it('stops using its lanes before their leases expire when it cannot renew, then recovers', async () => {
    const gate = await openPgGate(TEST_DATABASE_URL as string)
    gates.push(gate)
    const setup = await schema.open()
    const [own, lane] = (await insertEgresses(setup, 2)) as [number, number]
    const handle = await openPostgres({ url: gate.url, schema: schema.name })
    const cutOff = testManager(
      handle,
      'instance-a',
      { own: [own], shared: [lane] },
      {
        // Stop well before the end, so that polling below sees the stop before the expiry.
        leaseMs: 1_500,
        safetyMarginMs: 900,
      },
    )
    started.push(cutOff)
    try {
      await cutOff.manager.start()
      expect(cutOff.manager.held()).toEqual([own, lane])

      // Cut off twice: right after taking the lanes, then right after renewing them.
      for (const round of ['taken', 'renewed']) {
        if (round === 'renewed') await cutOff.manager.rebalance()
        const lapsesBefore = cutOff.changes.filter((change) => change.lapsed.length > 0).length
        gate.cut()
        while (cutOff.manager.holds(lane)) await new Promise((resolve) => setTimeout(resolve, 5))
        const stoppedAt = Date.now()
        expect(cutOff.manager.held()).toEqual([])
        const { rows } = await leaseRows(schema)
        expect(stoppedAt, `stopped before the expiry of the lease ${round}`).toBeLessThan(
          rows.get(lane)?.expiresAt ?? 0,
        )
        await waitFor('the lapse to be told', () =>
          cutOff.changes.some((change, i) => i >= lapsesBefore && change.lapsed.includes(lane)),
        )
        expect(cutOff.errors.length).toBeGreaterThan(0)

        gate.restore()
        await waitFor('the lanes to come back', () => cutOff.manager.held().length === 2)
        const back = (await leaseRows(schema)).rows.get(lane)
        expect(back?.holder).toBe('instance-a')
        // Renewed under its token when nobody took the lane meanwhile, or taken anew.
        expect(back?.token).toBeGreaterThanOrEqual(rows.get(lane)?.token ?? Infinity)
        expect(cutOff.manager.token(lane)).toBe(back?.token)
      }
    } finally {
      await cutOff.manager.stop()
      started.splice(started.indexOf(cutOff), 1)
      await handle.close()
    }
  })

  it('measures the local deadline from the renewal, so holds() turns false without any timer', async () => {
    const handle = await schema.open()
    const [own] = (await insertEgresses(handle, 1)) as [number]
    const clock = createManualClock(Date.now())
    const paused = testManager(handle, 'instance-a', { own: [own], shared: [] }, { clock })
    started.push(paused)
    await paused.manager.start()

    const margin = Math.floor(LEASE_MS / 5)
    clock.jump(LEASE_MS - margin - 1)
    expect(paused.manager.holds(own)).toBe(true)
    clock.jump(1)
    expect(paused.manager.holds(own)).toBe(false)
    expect(paused.manager.token(own)).toBeUndefined()
    expect(paused.manager.fence(own)).toBeUndefined()

    // The late timers run: the deadline's tells the lapse (cut what is in flight).
    clock.advance(0)
    expect(paused.changes.map(({ gained, lapsed }) => ({ gained, lapsed }))).toEqual([
      { gained: [own], lapsed: [] },
      { gained: [], lapsed: [own] },
    ])

    // Nobody took the lane: the next renewal gives it back under the same token.
    const token = (await leaseRows(schema)).rows.get(own)?.token
    await paused.manager.rebalance()
    expect(paused.manager.holds(own)).toBe(true)
    expect(paused.manager.fence(own)).toEqual({ egressId: own, instanceId: 'instance-a', token })
    expect(paused.changes.at(-1)).toMatchObject({ gained: [own], lapsed: [] })

    await paused.manager.stop()
    started.splice(started.indexOf(paused), 1)
    expect(clock.pendingTimers()).toBe(0)
    expect(paused.changes.at(-1)).toMatchObject({ released: [own] })
    expect((await leaseRows(schema)).rows.get(own)).toMatchObject({ expiresAt: 0, token })
    expect(await schema.query(`SELECT id FROM ${schema.name}.instances`)).toEqual([])
  })
})
