import type { KeySelection } from '@sfp/key-pool'
import { explanationText, type KeySwitchPolicy } from '@sfp/schemas'
import { createManualClock, START } from '@sfp/test-support'
import { describe, expect, it } from 'vitest'
import { KeySwitchGuard, NoAvailableKey, RateLimited } from '../src/errors.js'
import { decideKey, type Refusal, refusalError } from '../src/key-chooser.js'
import { createSwitchGuard } from '../src/switch-guard.js'

const MINUTE = 60_000
const LANE = 4

/** A lane's guard with its memory in a plain object, on a manual clock. */
function guardWith(policy: KeySwitchPolicy = 'wait') {
  const clock = createManualClock()
  const guard = createSwitchGuard({
    minutes: 30,
    policy,
    clock,
    store: { load: () => undefined, save: () => {} },
  })
  return {
    guard,
    clock,
    decide: (selection: KeySelection) => decideKey(selection, guard, clock.now(), LANE),
  }
}

function refusal(decision: ReturnType<typeof decideKey>): Refusal {
  if (decision.kind !== 'refuse') throw new Error(`expected a refusal, got ${decision.kind}`)
  return decision
}

describe('keeps-the-lane-key', () => {
  it('keeps a usable key that was the one last sent', () => {
    const { guard, decide } = guardWith()
    guard.recordUse(1)
    expect(decide({ kind: 'current', keyId: 1 })).toEqual({ kind: 'keep', keyId: 1 })
  })

  it('refuses it when another key was sent through the lane last, inside the window (wait)', () => {
    const { guard, clock, decide } = guardWith()
    guard.recordUse(1)
    clock.advance(MINUTE)
    const error = refusalError(refusal(decide({ kind: 'current', keyId: 2 })), clock.now())
    expect(error).toBeInstanceOf(KeySwitchGuard)
    expect(error).toMatchObject({ statusCode: 503, retryAfterSeconds: 29 * 60 })
  })
})

describe('switches-the-lane-key', () => {
  it('takes the first key when nothing was sent yet, naming the lane', () => {
    const { decide } = guardWith()
    expect(decide({ kind: 'switch', keyId: 1, current: null })).toEqual({
      kind: 'switch',
      keyId: 1,
      fromKeyId: null,
      reason: {
        code: 'key_switch',
        params: { egressId: LANE, fromKeyId: null, toKeyId: 1, current: null, guardMinutes: null },
      },
    })
  })

  it('switches once the window after the last use has passed', () => {
    const { guard, clock, decide } = guardWith()
    guard.recordUse(1)
    clock.advance(30 * MINUTE)
    const current = { keyId: 1, status: 'insufficient' as const, cooldownUntil: null }
    const decision = decide({ kind: 'switch', keyId: 2, current })
    expect(decision).toEqual({
      kind: 'switch',
      keyId: 2,
      fromKeyId: 1,
      reason: {
        code: 'key_switch',
        params: {
          egressId: LANE,
          fromKeyId: 1,
          toKeyId: 2,
          current: { keyId: 1, status: 'insufficient' },
          guardMinutes: null,
        },
      },
    })
    expect(decision.kind === 'switch' && explanationText(decision.reason)).toBe(
      'key #1 -> key #2 on egress #4 (key #1 is low on balance)',
    )
  })

  it('refuses a switch inside the window under wait: 503 key_switch_guard until it ends', () => {
    const { guard, clock, decide } = guardWith()
    guard.recordUse(1)
    clock.advance(10 * MINUTE)
    const current = { keyId: 1, status: 'invalid' as const, cooldownUntil: null }
    const decision = refusal(decide({ kind: 'switch', keyId: 2, current }))
    // The same as a code and params for the dashboard, the window's end as an ISO time.
    expect(decision.explanation).toEqual({
      code: 'guard_holds',
      params: {
        egressId: LANE,
        minutes: 30,
        windowEndsAt: '2026-01-01T12:30:00.000Z',
        subject: {
          kind: 'move',
          fromKeyId: 1,
          toKeyId: 2,
          current: { keyId: 1, status: 'invalid' },
        },
        hint: 'switch_sooner',
      },
    })
    const error = refusalError(decision, clock.now())
    expect(error).toBeInstanceOf(KeySwitchGuard)
    expect(error).toMatchObject({ explanation: decision.explanation })
    expect(error).toMatchObject({
      code: 'SFP_KEY_SWITCH_GUARD',
      statusCode: 503,
      retryAfterSeconds: 20 * 60,
    })
    expect(error.message).toMatchInlineSnapshot(
      `"The key-switch guard of egress #4 holds back moving from key #1 to key #2 (key #1 is invalid): two different keys used from one IP within 30 minutes risk a ban by SiliconFlow. The window ends at 2026-01-01T12:30:00.000Z (in 1200 s). To switch sooner set KEY_SWITCH_POLICY=immediate or lower KEY_SWITCH_GUARD_MINUTES, or activate a key in the dashboard."`,
    )
  })

  it('answers 429 rate_limited while the lane key only cools, until the earlier of cooldown and window end', () => {
    const { guard, clock, decide } = guardWith()
    guard.recordUse(1)
    clock.advance(10 * MINUTE)
    const cooling = (until: number) => ({
      kind: 'switch' as const,
      keyId: 2,
      current: { keyId: 1, status: 'cooling' as const, cooldownUntil: until },
    })
    const soon = refusalError(refusal(decide(cooling(clock.now() + 2 * MINUTE))), clock.now())
    expect(soon).toBeInstanceOf(RateLimited)
    expect(soon).toMatchObject({
      code: 'SFP_RATE_LIMITED',
      statusCode: 429,
      retryAfterSeconds: 120,
    })
    expect(soon.message).toMatchInlineSnapshot(
      `"Key #1 is rate-limited by SiliconFlow until 2026-01-01T12:12:00.000Z. Switching to another key is held back by the key-switch guard until 2026-01-01T12:30:00.000Z."`,
    )
    const later = refusalError(refusal(decide(cooling(clock.now() + 60 * MINUTE))), clock.now())
    expect(later).toMatchObject({ retryAfterSeconds: 20 * 60 })
  })

  it('switches inside the window under immediate and says so', () => {
    const { guard, clock, decide } = guardWith('immediate')
    guard.recordUse(1)
    clock.advance(MINUTE)
    const current = { keyId: 1, status: 'cooling' as const, cooldownUntil: clock.now() + MINUTE }
    const decision = decide({ kind: 'switch', keyId: 2, current })
    expect(decision).toMatchObject({
      kind: 'switch',
      keyId: 2,
      reason: { code: 'key_switch', params: { guardMinutes: 30 } },
    })
    expect(decision.kind === 'switch' && explanationText(decision.reason)).toBe(
      'key #1 -> key #2 on egress #4 (key #1 is cooling after a rate limit); inside the 30-minute switch guard window (KEY_SWITCH_POLICY=immediate)',
    )
  })
})

describe('refuses-with-no-usable-key', () => {
  it('answers 429 while the lane key cools', () => {
    const { clock, decide } = guardWith()
    const current = { keyId: 1, status: 'cooling' as const, cooldownUntil: START + 45_000 }
    const decision = refusal(decide({ kind: 'none', current, retryAt: START + 45_000 }))
    expect(refusalError(decision, clock.now())).toMatchObject({
      code: 'SFP_RATE_LIMITED',
      statusCode: 429,
      retryAfterSeconds: 45,
    })
  })

  it('answers 503 no_available_key, with Retry-After when a key will come back', () => {
    const { clock, decide } = guardWith()
    const current = { keyId: 1, status: 'error' as const, cooldownUntil: START + 5 * MINUTE }
    const later = refusalError(
      refusal(decide({ kind: 'none', current, retryAt: START + 5 * MINUTE })),
      clock.now(),
    )
    expect(later).toBeInstanceOf(NoAvailableKey)
    expect(later).toMatchObject({ statusCode: 503, retryAfterSeconds: 300 })
    expect(later.message).toMatchInlineSnapshot(
      `"No upstream key is usable now (key #1 is failing); the next key becomes usable at 2026-01-01T12:05:00.000Z."`,
    )
    const never = refusalError(
      refusal(decide({ kind: 'none', current: null, retryAt: null })),
      clock.now(),
    )
    expect(never).toMatchObject({ code: 'SFP_NO_AVAILABLE_KEY', statusCode: 503 })
    expect(never).not.toHaveProperty('retryAfterSeconds')
    expect(never.message).toMatchInlineSnapshot(
      `"No upstream key is usable now (no key in use); add a key or enable one in the dashboard."`,
    )
  })
})
