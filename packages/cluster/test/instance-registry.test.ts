import { systemClock } from '@sfp/runtime'
import { describePostgres } from '@sfp/test-support/postgres'
import { afterEach, expect, it } from 'vitest'
import { createInstanceRegistry, DuplicateInstanceError } from '../src/index.js'
import {
  insertEgresses,
  LEASE_MS,
  type TestManager,
  testManager,
  useClusterSchema,
} from './helpers/cluster.js'

describePostgres('the instance registry', () => {
  const schema = useClusterSchema()
  const started: TestManager[] = []
  afterEach(async () => {
    await Promise.all(started.splice(0).map(({ manager }) => manager.stop()))
  })

  it('refuses a second live process with the same INSTANCE_ID, saying what to do', async () => {
    const handle = await schema.open()
    const [own] = (await insertEgresses(handle, 1)) as [number]
    const running = testManager(handle, 'instance-a', { own: [own], shared: [] })
    started.push(running)
    await running.manager.start()

    const twin = testManager(handle, 'instance-a', { own: [own], shared: [] })
    const refusal = await twin.manager.start().then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(refusal).toBeInstanceOf(DuplicateInstanceError)
    expect((refusal as Error).message).toMatch(
      /^another instance is running with INSTANCE_ID "instance-a" \(seen \d+ ms ago\): give each instance its own INSTANCE_ID$/,
    )
    expect(twin.manager.held()).toEqual([])
    expect(running.manager.holds(own)).toBe(true)
  })

  it('waits out a crashed predecessor of the same id instead of refusing it', async () => {
    const handle = await schema.open()
    const crashed = createInstanceRegistry({
      pool: handle.pool,
      instanceId: 'instance-a',
      leaseMs: LEASE_MS,
      clock: systemClock,
    })
    await crashed.register()
    expect(await crashed.liveIds()).toEqual(['instance-a'])

    const restarted = createInstanceRegistry({
      pool: handle.pool,
      instanceId: 'instance-a',
      address: '10.0.0.2:3000',
      leaseMs: LEASE_MS,
      clock: systemClock,
    })
    await restarted.register()
    await restarted.heartbeat()
    expect(await restarted.describe()).toEqual([
      expect.objectContaining({ id: 'instance-a', address: '10.0.0.2:3000', lanes: [] }),
    ])
    // The predecessor's row is no longer its own: it may not renew it.
    await expect(crashed.heartbeat()).rejects.toThrow(/was taken by another process/)
    await restarted.unregister()
    expect(await restarted.liveIds()).toEqual([])
  })
})
