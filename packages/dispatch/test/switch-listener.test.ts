import { describe, expect, it } from 'vitest'
import type { KeySwitchEvent } from '../src/types.js'
import { createTestbed } from './helpers/testbed.js'

const MINUTE = 60_000
const SUCCESS = { kind: 'success' } as const

/** `onSwitch` feeds the key switch counter of /metrics: one event per change of a lane's key. */
describe('onSwitch', () => {
  it('tells listeners about each lane first key and each move, not about keeping a key', async () => {
    const bed = await createTestbed({ keys: 2 })
    const [key1, key2] = bed.keyIds as [number, number]
    const [lane] = bed.laneIds as [number]
    const events: KeySwitchEvent[] = []
    bed.dispatch.onSwitch((event) => events.push(event))
    for (let i = 0; i < 2; i++) {
      const lease = await bed.dispatch.lease()
      await lease.end(SUCCESS)
      lease.release()
    }
    bed.pool.update(key1, { enabled: false })
    bed.clock.advance(31 * MINUTE)
    ;(await bed.dispatch.lease()).release()
    expect(events).toEqual([
      { laneId: lane, fromKeyId: null, toKeyId: key1 },
      { laneId: lane, fromKeyId: key1, toKeyId: key2 },
    ])
  })

  it('is not told about refused switches or activations, and stops after unsubscribing', async () => {
    const bed = await createTestbed({ keys: 3 })
    const [key1, , key3] = bed.keyIds as [number, number, number]
    ;(await bed.dispatch.lease()).release()
    const events: KeySwitchEvent[] = []
    const stop = bed.dispatch.onSwitch((event) => events.push(event))
    bed.pool.update(key1, { enabled: false })
    await expect(bed.dispatch.lease()).rejects.toMatchObject({ code: 'SFP_KEY_SWITCH_GUARD' })
    bed.dispatch.activate(key3)
    stop()
    bed.pool.update(key3, { enabled: false })
    bed.clock.advance(31 * MINUTE)
    ;(await bed.dispatch.lease()).release()
    expect(events).toEqual([])
  })

  it('reports a listener that throws and still grants the lease', async () => {
    const reported: unknown[] = []
    const bed = await createTestbed({ keys: 1, reportError: (error) => reported.push(error) })
    bed.dispatch.onSwitch(() => {
      throw new Error('metrics broke')
    })
    const lease = await bed.dispatch.lease()
    expect(lease).toMatchObject({ keyId: bed.keyIds[0], switched: true })
    lease.release()
    expect(reported).toEqual([new Error('metrics broke')])
  })
})
