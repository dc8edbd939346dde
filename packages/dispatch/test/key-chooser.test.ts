import { describe, expect, it } from 'vitest'
import { KeySwitchGuard, NoAvailableKey, RateLimited } from '../src/errors.js'
import { START } from './helpers/manual-clock.js'
import { createTestDispatch } from './helpers/test-dispatch.js'

const MINUTE = 60_000

function thrown(action: () => unknown): unknown {
  try {
    action()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

describe('chooseKey keeps the key in use', () => {
  it('returns it with its secret and records the use', () => {
    const { dispatch, pool } = createTestDispatch()
    pool.keep(1)
    expect(dispatch.chooseKey()).toEqual({
      keyId: 1,
      secret: 'sk-secret-1',
      switched: false,
      guardEpoch: 0,
    })
    expect(dispatch.guard.memory()).toMatchObject({ lastUsedKeyId: 1, lastUsedAt: START })
    expect(pool.setCurrentCalls).toEqual([])
  })

  it('refuses it when another key was used last inside the window (wait)', () => {
    const { dispatch, pool, clock } = createTestDispatch()
    dispatch.guard.recordUse(1)
    clock.advance(MINUTE)
    pool.keep(2)
    const error = thrown(() => dispatch.chooseKey())
    expect(error).toBeInstanceOf(KeySwitchGuard)
    expect(error).toMatchObject({ statusCode: 503, retryAfterSeconds: 29 * 60 })
  })
})

describe('chooseKey switches keys', () => {
  it('takes the first key when nothing was used yet', () => {
    const { dispatch, pool } = createTestDispatch()
    pool.proposeSwitch(1, null)
    expect(dispatch.chooseKey()).toEqual({
      keyId: 1,
      secret: 'sk-secret-1',
      switched: true,
      guardEpoch: 0,
    })
    expect(pool.setCurrentCalls).toEqual([
      { id: 1, reason: 'first key in use: #1 (no key in use)' },
    ])
  })

  it('switches once the window after the last use has passed', () => {
    const { dispatch, pool, clock } = createTestDispatch()
    dispatch.guard.recordUse(1)
    clock.advance(30 * MINUTE)
    pool.proposeSwitch(2, { keyId: 1, status: 'insufficient', cooldownUntil: null })
    expect(dispatch.chooseKey()).toMatchObject({ keyId: 2, switched: true })
    expect(pool.setCurrentCalls).toEqual([
      { id: 2, reason: 'key #1 -> key #2 (key #1 is low on balance)' },
    ])
    expect(dispatch.guard.memory()).toMatchObject({
      lastUsedKeyId: 2,
      lastSwitchAt: START + 30 * MINUTE,
    })
  })

  it('refuses a switch inside the window under wait: 503 key_switch_guard until it ends', () => {
    const { dispatch, pool, clock } = createTestDispatch()
    dispatch.guard.recordUse(1)
    clock.advance(10 * MINUTE)
    pool.proposeSwitch(2, { keyId: 1, status: 'invalid', cooldownUntil: null })
    const error = thrown(() => dispatch.chooseKey())
    expect(error).toBeInstanceOf(KeySwitchGuard)
    expect(error).toMatchObject({
      code: 'SFP_KEY_SWITCH_GUARD',
      statusCode: 503,
      retryAfterSeconds: 20 * 60,
    })
    expect((error as Error).message).toMatchInlineSnapshot(
      `"The key-switch guard holds back moving from key #1 to key #2 (key #1 is invalid): two different keys used from this IP within 30 minutes risk a ban by SiliconFlow. The window ends at 2026-01-01T12:30:00.000Z (in 1200 s). To switch sooner set KEY_SWITCH_POLICY=immediate or lower KEY_SWITCH_GUARD_MINUTES, or activate a key in the dashboard."`,
    )
    expect(pool.setCurrentCalls).toEqual([])
    expect(dispatch.guard.memory().lastUsedKeyId).toBe(1)
  })

  it('answers 429 rate_limited while the key in use only cools, until the earlier of cooldown and window end', () => {
    const { dispatch, pool, clock } = createTestDispatch()
    dispatch.guard.recordUse(1)
    clock.advance(10 * MINUTE)
    pool.proposeSwitch(2, { keyId: 1, status: 'cooling', cooldownUntil: clock.now() + 2 * MINUTE })
    const soon = thrown(() => dispatch.chooseKey())
    expect(soon).toBeInstanceOf(RateLimited)
    expect(soon).toMatchObject({
      code: 'SFP_RATE_LIMITED',
      statusCode: 429,
      retryAfterSeconds: 120,
    })
    expect((soon as Error).message).toMatchInlineSnapshot(
      `"Key #1 is rate-limited by SiliconFlow until 2026-01-01T12:12:00.000Z. Switching to another key is held back by the key-switch guard until 2026-01-01T12:30:00.000Z."`,
    )
    pool.proposeSwitch(2, { keyId: 1, status: 'cooling', cooldownUntil: clock.now() + 60 * MINUTE })
    expect(thrown(() => dispatch.chooseKey())).toMatchObject({ retryAfterSeconds: 20 * 60 })
  })

  it('switches inside the window under immediate and says so', () => {
    const { dispatch, pool, clock } = createTestDispatch({ policy: 'immediate' })
    dispatch.guard.recordUse(1)
    clock.advance(MINUTE)
    pool.proposeSwitch(2, { keyId: 1, status: 'cooling', cooldownUntil: clock.now() + MINUTE })
    expect(dispatch.chooseKey()).toMatchObject({ keyId: 2, switched: true })
    expect(pool.setCurrentCalls).toEqual([
      {
        id: 2,
        reason:
          'key #1 -> key #2 (key #1 is cooling after a rate limit); inside the 30-minute switch guard window (KEY_SWITCH_POLICY=immediate)',
      },
    ])
  })
})

describe('chooseKey with no usable key', () => {
  it('answers 429 while the key in use cools', () => {
    const { dispatch, pool, clock } = createTestDispatch()
    const current = { keyId: 1, status: 'cooling' as const, cooldownUntil: clock.now() + 45_000 }
    pool.selection = { kind: 'none', current, retryAt: clock.now() + 45_000 }
    expect(thrown(() => dispatch.chooseKey())).toMatchObject({
      code: 'SFP_RATE_LIMITED',
      statusCode: 429,
      retryAfterSeconds: 45,
    })
  })

  it('answers 503 no_available_key, with Retry-After when a key will come back', () => {
    const { dispatch, pool, clock } = createTestDispatch()
    const current = { keyId: 1, status: 'error' as const, cooldownUntil: clock.now() + 5 * MINUTE }
    pool.selection = { kind: 'none', current, retryAt: clock.now() + 5 * MINUTE }
    const later = thrown(() => dispatch.chooseKey())
    expect(later).toBeInstanceOf(NoAvailableKey)
    expect(later).toMatchObject({ statusCode: 503, retryAfterSeconds: 300 })
    expect((later as Error).message).toMatchInlineSnapshot(
      `"No upstream key is usable now (key #1 is failing); the next key becomes usable at 2026-01-01T12:05:00.000Z."`,
    )

    pool.selection = { kind: 'none', current: null, retryAt: null }
    const never = thrown(() => dispatch.chooseKey())
    expect(never).toMatchObject({ code: 'SFP_NO_AVAILABLE_KEY', statusCode: 503 })
    expect(never).not.toHaveProperty('retryAfterSeconds')
    expect((never as Error).message).toMatchInlineSnapshot(
      `"No upstream key is usable now (no key in use); add a key or enable one in the dashboard."`,
    )
  })
})
