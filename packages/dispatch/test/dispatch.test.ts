import { dispatchStatusSchema, switchGuardStatusSchema } from '@sfp/schemas'
import { describe, expect, it } from 'vitest'
import { ShuttingDown } from '../src/errors.js'
import { settle } from './helpers/manual-clock.js'
import { createTestDispatch } from './helpers/test-dispatch.js'

const MINUTE = 60_000

describe('upstream gate installed into the pool', () => {
  it('holds a slot for a balance check: it waits behind a proxied request', async () => {
    const { dispatch, pool } = createTestDispatch()
    pool.useUpstreamGate(dispatch.upstreamGate)
    const proxied = await dispatch.acquire()
    const check = pool.check(1)
    await settle()
    expect(pool.checked).toEqual([])
    expect(dispatch.status().dispatch).toMatchObject({ inFlight: 1, queued: 1 })
    proxied.release()
    await check
    expect(pool.checked).toEqual([1])
    expect(dispatch.status().dispatch).toMatchObject({ inFlight: 0, queued: 0 })
  })

  it('runs the task inside the slot and releases it when the task fails', async () => {
    const { dispatch } = createTestDispatch()
    const inFlight = await dispatch.upstreamGate(1, async () => dispatch.status().dispatch.inFlight)
    expect(inFlight).toBe(1)
    const failing = dispatch.upstreamGate(1, async () => {
      throw new Error('upstream down')
    })
    await expect(failing).rejects.toThrow('upstream down')
    expect(dispatch.status().dispatch.inFlight).toBe(0)
  })

  it('records a check of the key last used (or the first key) as a use', async () => {
    const { dispatch, pool, keyEvents } = createTestDispatch()
    pool.useUpstreamGate(dispatch.upstreamGate)
    await pool.check(4)
    expect(dispatch.guard.memory().lastUsedKeyId).toBe(4)
    expect(keyEvents.list({ limit: 10 })).toEqual([])
  })

  it('refuses, under wait, a check of another key inside the window: nothing sent, slot free', async () => {
    const { dispatch, pool, keyEvents, clock } = createTestDispatch()
    pool.useUpstreamGate(dispatch.upstreamGate)
    dispatch.guard.recordUse(1)
    const memory = dispatch.guard.memory()
    clock.advance(10 * MINUTE)
    const refused = await pool.check(2).catch((error: unknown) => error)
    expect(refused).toMatchObject({
      code: 'SFP_KEY_SWITCH_GUARD',
      statusCode: 503,
      retryAfterSeconds: 20 * 60,
    })
    expect((refused as Error).message).toContain('Make key #2 the key in use first')
    expect(pool.checked).toEqual([])
    expect(dispatch.guard.memory()).toEqual(memory)
    expect(dispatch.status().dispatch.inFlight).toBe(0)
    expect(keyEvents.list({ limit: 10 })).toEqual([])
  })

  it('counts a check of another key after the window as a use of that key', async () => {
    const { dispatch, pool, clock } = createTestDispatch()
    pool.useUpstreamGate(dispatch.upstreamGate)
    dispatch.guard.recordUse(1)
    clock.advance(30 * MINUTE)
    await pool.check(2)
    expect(pool.checked).toEqual([2])
    expect(dispatch.guard.memory()).toMatchObject({ lastUsedKeyId: 2, lastSwitchAt: clock.now() })
  })

  it('allows it under immediate, as a use of that key recorded as a check key event', async () => {
    const { dispatch, pool, keyEvents, clock } = createTestDispatch({ policy: 'immediate' })
    pool.useUpstreamGate(dispatch.upstreamGate)
    dispatch.guard.recordUse(1)
    clock.advance(MINUTE)
    await pool.check(2)
    expect(pool.checked).toEqual([2])
    expect(dispatch.guard.memory().lastUsedKeyId).toBe(2)
    expect(keyEvents.list({ limit: 10 })).toEqual([
      expect.objectContaining({
        keyId: 2,
        type: 'check',
        time: clock.now(),
        reason:
          'balance check sent key #2 upstream 30 minutes or less after key #1 (KEY_SWITCH_POLICY=immediate)',
      }),
    ])
  })

  it('drops a check no longer wanted once it holds the slot: nothing sent, nothing recorded', async () => {
    const { dispatch, keyEvents, clock } = createTestDispatch({ policy: 'immediate' })
    dispatch.guard.recordUse(1)
    const memory = dispatch.guard.memory()
    const proxied = await dispatch.acquire()
    let wanted = true
    let sent = false
    const check = dispatch.upstreamGate(
      2,
      async () => {
        sent = true
      },
      undefined,
      () => wanted,
    )
    clock.advance(1000)
    wanted = false // the admin made another key current while the check queued
    proxied.release()
    await expect(check).rejects.toMatchObject({ code: 'SFP_CHECK_NOT_NEEDED' })
    expect(sent).toBe(false)
    expect(dispatch.guard.memory()).toEqual(memory)
    expect(keyEvents.list({ limit: 10 })).toEqual([])
    expect(dispatch.status().dispatch.inFlight).toBe(0)
  })

  it('does not undo an admin activation that happened while a check was upstream', async () => {
    const { dispatch, clock } = createTestDispatch()
    dispatch.guard.recordUse(1)
    let finishCheck = () => {}
    const check = dispatch.upstreamGate(1, () => new Promise<void>((r) => (finishCheck = r)))
    await settle()
    clock.advance(MINUTE)
    dispatch.guard.recordOverride(2)
    clock.advance(MINUTE)
    finishCheck()
    await check
    expect(dispatch.guard.memory()).toMatchObject({ lastUsedKeyId: 2 })
    expect(dispatch.guard.check(2).kind).toBe('same')
  })

  it('passes the caller’s signal to the task, and a signal that never fires otherwise', async () => {
    const { dispatch } = createTestDispatch()
    const controller = new AbortController()
    const seen = await dispatch.upstreamGate(1, async (signal) => signal, controller.signal)
    expect(seen).toBe(controller.signal)
    const own = await dispatch.upstreamGate(1, async (signal) => signal)
    expect(own.aborted).toBe(false)
  })
})

describe('dispatch status', () => {
  it('shows slots, queue and guard in the shared schema shapes', async () => {
    const { dispatch, pool, clock } = createTestDispatch()
    pool.keep(1)
    dispatch.chooseKey()
    const slot = await dispatch.acquire()
    void dispatch.acquire()
    clock.advance(1500)
    const { dispatch: slots, switchGuard } = dispatch.status()
    expect(dispatchStatusSchema.parse(slots)).toEqual({
      concurrency: 1,
      inFlight: 1,
      queued: 1,
      queueMax: 10,
      oldestWaitMs: 1500,
    })
    expect(switchGuardStatusSchema.parse(switchGuard)).toMatchObject({
      policy: 'wait',
      minutes: 30,
      currentKeyId: 1,
      lastUsedKeyId: 1,
      blocked: null,
    })
    slot.release()
  })

  it('says why requests are refused right now, without switching anything', () => {
    const { dispatch, pool, clock } = createTestDispatch()
    dispatch.guard.recordUse(1)
    clock.advance(5 * MINUTE)
    pool.proposeSwitch(2, { keyId: 1, status: 'invalid', cooldownUntil: null })
    expect(dispatch.status().switchGuard.blocked).toMatchObject({
      code: 'key_switch_guard',
      retryAfterSeconds: 25 * 60,
    })
    expect(pool.setCurrentCalls).toEqual([])
    expect(dispatch.guard.memory().lastUsedKeyId).toBe(1)
  })
})

describe('dispatch change notifications', () => {
  it('fires for slots, guard and pool changes, until unsubscribed', async () => {
    const { dispatch, pool } = createTestDispatch()
    let changes = 0
    const stop = dispatch.onChange(() => changes++)
    const slot = await dispatch.acquire()
    expect(changes).toBe(1)
    dispatch.guard.recordUse(1)
    expect(changes).toBe(2)
    pool.changed()
    expect(changes).toBe(3)
    stop()
    slot.release()
    expect(changes).toBe(3)
  })
})

describe('dispatch close', () => {
  it('refuses waiters and stops listening to the pool', async () => {
    const { dispatch, pool } = createTestDispatch()
    const before = pool.listenerCount()
    const slot = await dispatch.acquire()
    const waiting = dispatch.acquire()
    dispatch.close()
    await expect(waiting).rejects.toBeInstanceOf(ShuttingDown)
    expect(pool.listenerCount()).toBe(before - 1)
    slot.release()
    dispatch.close()
  })
})
