import { describePostgres } from '@sfp/test-support/postgres'
import { afterEach, expect, it } from 'vitest'
import type { LeaseManager } from '../src/index.js'
import {
  insertEgresses,
  LEASE_MS,
  type TestManager,
  testManager,
  useClusterSchema,
  waitFor,
} from './helpers/cluster.js'

describePostgres('one holder per lane', () => {
  const schema = useClusterSchema()
  const started: TestManager[] = []
  afterEach(async () => {
    await Promise.all(started.splice(0).map(({ manager }) => manager.stop()))
  })

  it('never lets two instances hold one lane at once through joins, stops and a death', async () => {
    const handle = await schema.open()
    const [ownA, ownB, ownC, ownD, ...shared] = (await insertEgresses(handle, 9)) as number[]
    const lanes = (own: number | undefined) => ({ own: [own as number], shared })
    const a = testManager(handle, 'instance-a', lanes(ownA))
    // Real time, but its timers never fire: it takes its lanes, then never renews (its renewal
    // loop is dead while the process, and its `holds()`, still run).
    const dying = testManager(handle, 'instance-d', lanes(ownD), {
      clock: { now: Date.now, setTimer: () => () => {} },
    })
    started.push(a, dying)
    await Promise.all([a.manager.start(), dying.manager.start()])

    // Sample every few milliseconds whether two managers claim one lane.
    const live: LeaseManager[] = [a.manager, dying.manager]
    const overlaps: string[] = []
    let sampling = true
    const sampler = (async () => {
      while (sampling) {
        for (const lane of shared) {
          const holders = live.filter((manager) => manager.holds(lane)).length
          if (holders > 1) overlaps.push(`lane ${lane} held by ${holders}`)
        }
        await new Promise((resolve) => setTimeout(resolve, 3))
      }
    })()

    const b = testManager(handle, 'instance-b', lanes(ownB))
    const c = testManager(handle, 'instance-c', lanes(ownC))
    started.push(b, c)
    await b.manager.start()
    live.push(b.manager)
    await c.manager.start()
    live.push(c.manager)
    const everyLaneHeld = () => shared.every((lane) => live.some((m) => m.holds(lane)))
    await waitFor(
      'the dying instance lanes taken',
      () => everyLaneHeld() && dying.manager.held().length === 0,
    )

    await b.manager.stop()
    started.splice(started.indexOf(b), 1)
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS))
    await waitFor('the stopped instance lanes taken', everyLaneHeld)

    sampling = false
    await sampler
    expect(overlaps).toEqual([])
    const counts = [a, c].map(({ manager }) => manager.held().filter((id) => shared.includes(id)))
    expect(counts.flat().sort((x, y) => x - y)).toEqual(shared)
    expect(Math.abs((counts[0]?.length ?? 0) - (counts[1]?.length ?? 0))).toBeLessThanOrEqual(1)
  })
})
