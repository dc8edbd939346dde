import type { PostgresHandle } from '@sfp/db/pg'
import { type Clock, systemClock } from '@sfp/runtime'
import { createManualClock } from '@sfp/test-support'
import { describePostgres } from '@sfp/test-support/postgres'
import { afterEach, expect, it } from 'vitest'
import {
  type ChangeBus,
  type ChangeMessage,
  changeChannel,
  createChangeBus,
  NotificationTooLargeError,
  type ResyncReason,
} from '../src/index.js'
import { useClusterSchema, waitFor } from './helpers/cluster.js'

describePostgres('the change bus', () => {
  const schema = useClusterSchema()
  const buses: ChangeBus[] = []
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((bus) => bus.stop()))
  })

  async function startBus(handle: PostgresHandle, instanceId: string, clock: Clock = systemClock) {
    const resyncs: ResyncReason[] = []
    const errors: unknown[] = []
    const received: ChangeMessage[] = []
    const bus = createChangeBus({
      handle,
      instanceId,
      clock,
      reconnectMinMs: 20,
      reconcileEveryMs: 1_000,
      resync: (reason) => {
        resyncs.push(reason)
      },
      onError: (error) => errors.push(error),
    })
    buses.push(bus)
    await bus.start()
    bus.subscribe('keys', (message) => {
      received.push(message)
    })
    return { bus, resyncs, errors, received }
  }

  it('delivers a change to the other instances, not to its publisher', async () => {
    const handle = await schema.open()
    const a = await startBus(handle, 'instance-a')
    const b = await startBus(handle, 'instance-b')
    const other: ChangeMessage[] = []
    b.bus.subscribe('egresses', (message) => {
      other.push(message)
    })

    const before = Date.now()
    await a.bus.publish('keys', { ids: [3, 4], change: 'disabled' })
    await b.bus.publish('keys', { ids: [5] })
    await waitFor('each to hear the other', () => a.received.length + b.received.length === 2)

    expect(b.received).toEqual([
      {
        topic: 'keys',
        payload: { ids: [3, 4], change: 'disabled' },
        origin: 'instance-a',
        sentAt: expect.any(Number),
      },
    ])
    expect(b.received[0]?.sentAt).toBeGreaterThanOrEqual(before)
    expect(a.received.map(({ origin, payload }) => ({ origin, payload }))).toEqual([
      { origin: 'instance-b', payload: { ids: [5] } },
    ])
    expect(other).toEqual([])
  })

  it('refuses a payload past the NOTIFY limit and drops malformed notifications', async () => {
    const handle = await schema.open()
    const a = await startBus(handle, 'instance-a')
    await expect(a.bus.publish('keys', { rows: 'x'.repeat(8_000) })).rejects.toBeInstanceOf(
      NotificationTooLargeError,
    )

    const b = await startBus(handle, 'instance-b')
    await handle.pool.query('SELECT pg_notify($1, $2)', [changeChannel(schema.name), 'not json'])
    await handle.pool.query('SELECT pg_notify($1, $2)', [
      changeChannel(schema.name),
      JSON.stringify({ topic: 'keys', origin: 'x' }),
    ])
    await a.bus.publish('keys', { ids: [1] })
    await waitFor('the well-formed change', () => b.received.length > 0)
    expect(b.received.map(({ payload }) => payload)).toEqual([{ ids: [1] }])
    expect(b.errors).toEqual([])
  })

  it('reconnects after its connection is killed and asks for a resync', async () => {
    const handle = await schema.open()
    const a = await startBus(handle, 'instance-a')
    const b = await startBus(handle, 'instance-b')
    const killed = await schema.query<{ killed: boolean }>(
      `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
       WHERE query = $1 AND pid <> pg_backend_pid()`,
      [`LISTEN "${changeChannel(schema.name)}"`],
    )
    expect(killed).toHaveLength(2)

    await waitFor('both to reconnect', () =>
      [a, b].every(({ bus, resyncs }) => bus.listening() && resyncs.includes('reconnect')),
    )
    expect(b.errors.length).toBeGreaterThan(0)
    await a.bus.publish('keys', { ids: [9] })
    await waitFor('the change after the reconnect', () => b.received.length > 0)
    expect(b.received[0]?.payload).toEqual({ ids: [9] })
  })

  it('asks for a periodic reconcile and stops its timers on stop', async () => {
    const handle = await schema.open()
    const clock = createManualClock(Date.now())
    const a = await startBus(handle, 'instance-a', clock)
    clock.advance(1_000)
    clock.advance(1_000)
    await waitFor('the reconciles', () => a.resyncs.length === 2)
    expect(a.resyncs).toEqual(['periodic', 'periodic'])

    await a.bus.stop()
    expect(a.bus.listening()).toBe(false)
    expect(clock.pendingTimers()).toBe(0)
  })
})
