import { describePostgres } from '@sfp/test-support/postgres'
import { afterEach, expect, it } from 'vitest'
import {
  insertEgresses,
  isFairSplit,
  LEASE_MS,
  leaseRows,
  type TestManager,
  testManager,
  useClusterSchema,
  waitFor,
} from './helpers/cluster.js'

describePostgres('lane leases shared among instances', () => {
  const schema = useClusterSchema()
  const started: TestManager[] = []
  afterEach(async () => {
    await Promise.all(started.splice(0).map(({ manager }) => manager.stop()))
  })

  async function startManagers(count: number, ownLanes: number[], shared: number[]) {
    const handle = await schema.open()
    const managers = ownLanes
      .slice(0, count)
      .map((own, i) =>
        testManager(handle, `instance-${String.fromCharCode(97 + i)}`, { own: [own], shared }),
      )
    started.push(...managers)
    await Promise.all(managers.map(({ manager }) => manager.start()))
    return { handle, managers }
  }

  it('two and three instances each keep their own lane and split the shared ones fairly', async () => {
    const handle = await schema.open()
    const [ownA, ownB, ownC, ...shared] = await insertEgresses(handle, 10)
    const { managers } = await startManagers(2, [ownA, ownB] as number[], shared)
    const [a, b] = managers.map(({ manager }) => manager)
    if (!a || !b) throw new Error('managers missing')

    const sharedHeld = (manager: typeof a) => manager.held().filter((id) => shared.includes(id))
    await waitFor('a fair split between two', () =>
      isFairSplit([sharedHeld(a), sharedHeld(b)], shared),
    )
    expect(a.holds(ownA as number) && b.holds(ownB as number)).toBe(true)
    expect(a.holds(ownB as number) || b.holds(ownA as number)).toBe(false)

    const releasedBefore = managers.map(({ changes }) => changes.length)
    const third = testManager(handle, 'instance-c', { own: [ownC as number], shared })
    started.push(third)
    await third.manager.start()
    const c = third.manager
    await waitFor('a fair split among three', () =>
      isFairSplit([sharedHeld(a), sharedHeld(b), sharedHeld(c)], shared),
    )
    expect(c.holds(ownC as number)).toBe(true)
    // The newcomer took two lanes, each handed over (drained, released) by its holder.
    const released = managers.flatMap(({ changes }, i) =>
      changes.slice(releasedBefore[i]).flatMap((change) => change.released),
    )
    expect(released.sort()).toEqual(sharedHeld(c).sort())

    const { rows } = await leaseRows(schema)
    for (const id of shared) {
      const holder = [a, b, c].findIndex((manager) => manager.holds(id))
      expect(rows.get(id)?.holder).toBe(`instance-${'abc'[holder]}`)
    }
    expect(await a.instances()).toEqual(
      [a, b, c].map((manager, i) =>
        expect.objectContaining({ id: `instance-${'abc'[i]}`, lanes: manager.held() }),
      ),
    )
  })

  it('a stopped instance hands its lanes over, and the fencing token grows', async () => {
    const handle = await schema.open()
    const [ownA, ownB, ...shared] = await insertEgresses(handle, 6)
    const { managers } = await startManagers(2, [ownA, ownB] as number[], shared)
    const [first, second] = managers
    if (!first || !second) throw new Error('managers missing')
    await waitFor('a fair split', () =>
      isFairSplit(
        [first.manager.held(), second.manager.held()].map((held) =>
          held.filter((id) => shared.includes(id)),
        ),
        shared,
      ),
    )
    const secondLanes = second.manager.held().filter((id) => shared.includes(id))
    const before = (await leaseRows(schema)).rows

    await second.manager.stop()
    started.splice(started.indexOf(second), 1)
    const afterStop = (await leaseRows(schema)).rows
    for (const id of [...secondLanes, ownB as number]) {
      expect(afterStop.get(id)).toMatchObject({ expiresAt: 0, token: before.get(id)?.token })
    }
    expect((await first.manager.instances()).map(({ id }) => id)).toEqual(['instance-a'])

    await waitFor('the survivor to take every shared lane', () =>
      shared.every((id) => first.manager.holds(id)),
    )
    const after = (await leaseRows(schema)).rows
    for (const id of secondLanes) {
      expect(after.get(id)).toMatchObject({
        holder: 'instance-a',
        token: (before.get(id)?.token ?? 0) + 1,
      })
    }
    // Nobody takes an instance's own lane.
    expect(first.manager.holds(ownB as number)).toBe(false)
    expect(after.get(ownB as number)?.holder).toBe('instance-b')
  })

  it('drains a lane before handing it over, and releases it only then', async () => {
    const handle = await schema.open()
    const [ownA, ownB, low, high] = (await insertEgresses(handle, 4)) as number[] as [
      number,
      number,
      number,
      number,
    ]
    let finishInFlight = () => {}
    const drained: number[] = []
    const first = testManager(
      handle,
      'instance-a',
      { own: [ownA], shared: [low, high] },
      {
        drainTimeoutMs: 30 * LEASE_MS,
        drain: async (egressId) => {
          drained.push(egressId)
          if (egressId !== high) return
          await new Promise<void>((resolve) => {
            finishInFlight = resolve
          })
        },
      },
    )
    started.push(first)
    await first.manager.start()
    expect(first.manager.held()).toEqual([ownA, low, high])

    // With a second instance each gets one shared lane: a keeps its lowest and hands over `high`.
    const second = testManager(handle, 'instance-b', { own: [ownB], shared: [low, high] })
    started.push(second)
    await second.manager.start()
    await waitFor('the drain of the lane handed over', () => drained.includes(high))
    expect(first.manager.holds(high)).toBe(false)
    expect(first.changes.flatMap((change) => change.draining)).toEqual([high])

    // While it drains, the lease stays a's (renewed), so b cannot start on the lane.
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS * 1.5))
    await second.manager.rebalance()
    expect(second.manager.holds(high)).toBe(false)
    const draining = (await leaseRows(schema)).rows.get(high)
    expect(draining?.holder).toBe('instance-a')
    expect(first.renewals.length).toBeGreaterThan(0)
    expect(first.errors).toEqual([])

    finishInFlight()
    await waitFor('b to take the drained lane', () => second.manager.holds(high))
    expect(first.changes.flatMap((change) => change.released)).toEqual([high])
    expect((await leaseRows(schema)).rows.get(high)).toMatchObject({
      holder: 'instance-b',
      token: (draining?.token ?? 0) + 1,
    })
    expect(first.manager.held()).toEqual([ownA, low])
  })

  it('reports a failed drain apart from database failures, and releases the lane all the same', async () => {
    const handle = await schema.open()
    const [ownA, ownB, low, high] = (await insertEgresses(handle, 4)) as [
      number,
      number,
      number,
      number,
    ]
    const drainErrors: [string, number][] = []
    const first = testManager(
      handle,
      'instance-a',
      { own: [ownA], shared: [low, high] },
      {
        drain: async () => {
          throw new Error('in-flight requests could not be waited for')
        },
        onDrainError: (error, egressId) => drainErrors.push([(error as Error).message, egressId]),
      },
    )
    started.push(first)
    await first.manager.start()
    const second = testManager(handle, 'instance-b', { own: [ownB], shared: [low, high] })
    started.push(second)
    await second.manager.start()
    await waitFor('b to take the lane handed over', () => second.manager.holds(high))
    expect(drainErrors).toEqual([['in-flight requests could not be waited for', high]])
    expect(first.errors).toEqual([])
    expect(first.changes.flatMap((change) => change.released)).toEqual([high])
  })

  it('follows the lanes it is given: added, removed, and egresses deleted', async () => {
    const handle = await schema.open()
    const [own, first, second] = (await insertEgresses(handle, 3)) as [number, number, number]
    const alone = testManager(handle, 'instance-a', { own: [own], shared: [first] })
    started.push(alone)
    await alone.manager.start()
    expect(alone.manager.held()).toEqual([own, first])

    alone.lanes = { own: [own], shared: [second] }
    await alone.manager.rebalance()
    await waitFor('the removed lane to be released', () =>
      alone.changes.some((change) => change.released.includes(first)),
    )
    expect(alone.manager.held()).toEqual([own, second])
    expect((await leaseRows(schema)).rows.get(first)?.expiresAt).toBe(0)

    await handle.pool.query('DELETE FROM egresses WHERE id = $1', [second])
    await alone.manager.rebalance()
    expect(alone.manager.held()).toEqual([own])
    expect(alone.changes.at(-1)).toMatchObject({ lapsed: [second] })
  })
})
