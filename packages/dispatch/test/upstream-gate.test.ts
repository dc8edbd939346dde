import { dispatchStatusSchema, laneStatusSchema, switchGuardStatusSchema } from '@sfp/schemas'
import { describe, expect, it } from 'vitest'
import { ShuttingDown } from '../src/errors.js'
import { createTestbed, settle } from './helpers/testbed.js'

const MINUTE = 60_000

describe('upstream-gate-for-balance-checks', () => {
  it('holds a slot of the key lane: a check waits behind a proxied request there', async () => {
    const bed = await createTestbed({ keys: 1 })
    const [key] = bed.keyIds as [number]
    const proxied = await bed.dispatch.lease()
    let checked = false
    const check = bed.pool.check(key).then(() => {
      checked = true
    })
    await settle()
    expect(checked).toBe(false)
    expect(bed.dispatch.status().dispatch).toMatchObject({ inFlight: 1, queued: 1 })
    proxied.release()
    await check
    expect(bed.dispatch.status().dispatch).toMatchObject({ inFlight: 0, queued: 0 })
  })

  it('runs the task through the lane dispatcher inside the slot, and releases it when the task fails', async () => {
    const bed = await createTestbed({ keys: 1 })
    const [key] = bed.keyIds as [number]
    const direct = bed.egress.lane(bed.laneIds[0] ?? 0)
    const seen = await bed.dispatch.upstreamGate(key, async ({ dispatcher }) => ({
      inFlight: bed.dispatch.status().dispatch.inFlight,
      sameDispatcher: dispatcher === direct?.dispatcher,
    }))
    expect(seen).toEqual({ inFlight: 1, sameDispatcher: true })
    const failing = bed.dispatch.upstreamGate(key, async () => {
      throw new Error('upstream down')
    })
    await expect(failing).rejects.toThrow('upstream down')
    expect(bed.dispatch.status().dispatch.inFlight).toBe(0)
  })

  it('refuses, under wait, a check of another key inside the lane window: nothing sent', async () => {
    const bed = await createTestbed({ keys: 2 })
    const [key1, key2] = bed.keyIds as [number, number]
    ;(await bed.dispatch.lease()).release()
    bed.clock.advance(10 * MINUTE)
    let sent = false
    const refused = await bed.dispatch
      .upstreamGate(key2, async () => {
        sent = true
      })
      .catch((error: unknown) => error)
    expect(refused).toMatchObject({
      code: 'SFP_KEY_SWITCH_GUARD',
      statusCode: 503,
      retryAfterSeconds: 20 * 60,
    })
    expect((refused as Error).message).toContain(`Make key #${key2} the key in use first`)
    expect(sent).toBe(false)
    expect(bed.dispatch.status().switchGuard.lastUsedKeyId).toBe(key1)
    expect(bed.dispatch.status().dispatch.inFlight).toBe(0)
  })

  it('makes a check of another key after the window that key lane key, with a switch event', async () => {
    const bed = await createTestbed({ keys: 2 })
    const [, key2] = bed.keyIds as [number, number]
    ;(await bed.dispatch.lease()).release()
    bed.clock.advance(31 * MINUTE)
    await bed.dispatch.upstreamGate(key2, async () => undefined)
    expect(bed.dispatch.status().switchGuard.currentKeyId).toBe(key2)
    expect(bed.pool.view(key2)).toMatchObject({ egressId: bed.laneIds[0], isCurrent: true })
  })

  it('allows it under immediate', async () => {
    const bed = await createTestbed({ keys: 2, policy: 'immediate' })
    const [, key2] = bed.keyIds as [number, number]
    ;(await bed.dispatch.lease()).release()
    bed.clock.advance(MINUTE)
    await expect(bed.dispatch.upstreamGate(key2, async () => 'sent')).resolves.toBe('sent')
  })

  it('passes the caller signal to the task, and a signal that never fires otherwise', async () => {
    const bed = await createTestbed({ keys: 1 })
    const [key] = bed.keyIds as [number]
    const controller = new AbortController()
    const given = await bed.dispatch.upstreamGate(
      key,
      async ({ signal }) => signal,
      controller.signal,
    )
    expect(given).toBe(controller.signal)
    const own = await bed.dispatch.upstreamGate(key, async ({ signal }) => signal)
    expect(own.aborted).toBe(false)
  })
})

describe('dispatch-status', () => {
  it('shows totals, the primary lane guard and each lane in the shared schema shapes', async () => {
    const bed = await createTestbed({ proxies: 1, keys: 2 })
    const lease = await bed.dispatch.lease()
    const status = bed.dispatch.status()
    expect(dispatchStatusSchema.parse(status.dispatch)).toEqual({
      concurrency: 2,
      inFlight: 1,
      queued: 0,
      queueMax: 100,
      oldestWaitMs: 0,
    })
    expect(switchGuardStatusSchema.parse(status.switchGuard)).toMatchObject({
      policy: 'wait',
      minutes: 30,
      currentKeyId: bed.keyIds[0],
      blocked: null,
    })
    expect(status.egresses.map((lane) => laneStatusSchema.parse(lane))).toMatchObject([
      { id: bed.laneIds[0], state: 'up', dispatch: { inFlight: 1, concurrency: 1 } },
      {
        id: bed.laneIds[1],
        state: 'up',
        dispatch: { inFlight: 0 },
        switchGuard: { currentKeyId: null },
      },
    ])
    lease.release()
  })

  it('shows the first enabled lane at the top when the direct egress is off', async () => {
    const bed = await createTestbed({ proxies: 1, keys: 1, egressDirect: false })
    const lease = await bed.dispatch.lease()
    expect(lease.laneId).toBe(bed.laneIds[1])
    lease.release()
    const status = bed.dispatch.status()
    expect(status.switchGuard.currentKeyId).toBe(bed.keyIds[0])
    expect(status.dispatch.concurrency).toBe(1)
    expect(status.egresses.map((lane) => lane.state)).toEqual(['disabled', 'up'])
    expect(bed.pool.status().currentKeyId).toBe(bed.keyIds[0])
  })

  it('says why requests are refused right now, without switching anything', async () => {
    const bed = await createTestbed({ keys: 2 })
    const [key1] = bed.keyIds as [number]
    ;(await bed.dispatch.lease()).release()
    bed.pool.update(key1, { enabled: false })
    bed.clock.advance(MINUTE)
    expect(bed.dispatch.status().switchGuard).toMatchObject({
      currentKeyId: key1,
      blocked: { code: 'key_switch_guard', retryAfterSeconds: 29 * 60 },
    })
    expect(bed.dispatch.status().switchGuard.lastUsedKeyId).toBe(key1)
  })
})

describe('dispatch-close', () => {
  it('refuses waiters and later leases, and stops listening to the pool', async () => {
    const bed = await createTestbed({ keys: 1 })
    const held = await bed.dispatch.lease()
    const waiting = bed.dispatch.lease()
    let changes = 0
    bed.dispatch.onChange(() => changes++)
    bed.dispatch.close()
    await expect(waiting).rejects.toBeInstanceOf(ShuttingDown)
    await expect(bed.dispatch.lease()).rejects.toBeInstanceOf(ShuttingDown)
    changes = 0
    await bed.pool.add({ api_key: 'sk-one-more-key-0001' })
    expect(changes).toBe(0)
    held.release()
  })
})
