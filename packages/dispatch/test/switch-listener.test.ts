import { describe, expect, it } from 'vitest'
import type { KeySwitchEvent } from '../src/types.js'
import { createTestDispatch } from './helpers/test-dispatch.js'

const MINUTE = 60_000

/** `onSwitch` feeds the key switch counter of /metrics: one event per change of the key in use. */
describe('onSwitch', () => {
  it('tells listeners about the first key and about each move, not about keeping a key', () => {
    const { dispatch, pool, clock } = createTestDispatch({ policy: 'immediate' })
    const events: KeySwitchEvent[] = []
    dispatch.onSwitch((event) => events.push(event))

    pool.proposeSwitch(1, null)
    dispatch.chooseKey()
    dispatch.chooseKey() // kept: the fake pool now selects key 1 as current
    clock.advance(MINUTE)
    pool.proposeSwitch(2, { keyId: 1, status: 'invalid', cooldownUntil: null })
    dispatch.chooseKey()

    expect(events).toEqual([
      { fromKeyId: null, toKeyId: 1 },
      { fromKeyId: 1, toKeyId: 2 },
    ])
  })

  it('names the key last sent upstream as the origin when no key is in use', () => {
    const { dispatch, pool, clock } = createTestDispatch()
    const events: KeySwitchEvent[] = []
    dispatch.onSwitch((event) => events.push(event))
    dispatch.guard.recordUse(3)
    clock.advance(31 * MINUTE)
    pool.proposeSwitch(4, null) // the key in use was deleted
    dispatch.chooseKey()
    expect(events).toEqual([{ fromKeyId: 3, toKeyId: 4 }])
  })

  it('is not told about refused switches, and stops after unsubscribing or close', () => {
    const { dispatch, pool, clock } = createTestDispatch()
    const events: KeySwitchEvent[] = []
    const stop = dispatch.onSwitch((event) => events.push(event))
    dispatch.guard.recordUse(1)
    clock.advance(MINUTE)
    pool.proposeSwitch(2, { keyId: 1, status: 'invalid', cooldownUntil: null })
    expect(() => dispatch.chooseKey()).toThrow()
    stop()
    clock.advance(30 * MINUTE)
    dispatch.chooseKey()
    dispatch.onSwitch((event) => events.push(event))
    dispatch.close()
    pool.proposeSwitch(3, { keyId: 2, status: 'invalid', cooldownUntil: null })
    clock.advance(31 * MINUTE)
    dispatch.chooseKey()
    expect(events).toEqual([])
  })

  it('reports a listener that throws and still chooses the key', () => {
    const reported: unknown[] = []
    const { dispatch, pool } = createTestDispatch({ reportError: (error) => reported.push(error) })
    dispatch.onSwitch(() => {
      throw new Error('metrics broke')
    })
    pool.proposeSwitch(1, null)
    expect(dispatch.chooseKey()).toMatchObject({ keyId: 1, switched: true })
    expect(reported).toEqual([new Error('metrics broke')])
  })
})
