import type { KeySwitchPolicy } from '@sfp/schemas'
import { createManualClock } from '@sfp/test-support'
import { describe, expect, it } from 'vitest'
import { KeySwitchGuard, ModelUnavailable, NoAvailableKey } from '../src/errors.js'
import { decideKey, type Refusal, refusalError } from '../src/key-chooser.js'
import { createSwitchGuard } from '../src/switch-guard.js'

const MINUTE = 60_000
const LANE = 4
const PRO = 'Pro/deepseek-ai/DeepSeek-R1'
const ACTIVE_KEY_1 = { keyId: 1, status: 'active' as const, cooldownUntil: null }

function guardWith(policy: KeySwitchPolicy) {
  const clock = createManualClock()
  const guard = createSwitchGuard({
    minutes: 30,
    policy,
    clock,
    store: { load: () => undefined, save: () => {} },
  })
  guard.recordUse(1)
  return {
    clock,
    decide: (selection: Parameters<typeof decideKey>[0]) =>
      decideKey(selection, guard, clock.now(), LANE),
  }
}

function refusal(decision: ReturnType<typeof decideKey>): Refusal {
  if (decision.kind !== 'refuse') throw new Error(`expected a refusal, got ${decision.kind}`)
  return decision
}

describe('a lane whose key may not use the model', () => {
  it('under wait, never switches for the model inside the window', () => {
    const { clock, decide } = guardWith('wait')
    clock.advance(MINUTE)
    const refused = refusal(
      decide({ kind: 'switch', keyId: 2, current: ACTIVE_KEY_1, forModel: PRO }),
    )
    expect(refused).toMatchObject({
      code: 'key_switch_guard',
      retryAt: clock.now() + 29 * MINUTE,
    })
    expect(refused.message).toContain(`which upstream refused model ${PRO}`)
    expect(refusalError(refused, clock.now())).toBeInstanceOf(KeySwitchGuard)
  })

  it('under immediate, switches for the model inside the window (recorded as a switch)', () => {
    const { clock, decide } = guardWith('immediate')
    clock.advance(MINUTE)
    expect(
      decide({ kind: 'switch', keyId: 2, current: ACTIVE_KEY_1, forModel: PRO }),
    ).toMatchObject({ kind: 'switch', keyId: 2, fromKeyId: 1 })
  })

  it('switches for the model once the window has passed', () => {
    const { clock, decide } = guardWith('wait')
    clock.advance(31 * MINUTE)
    expect(
      decide({ kind: 'switch', keyId: 2, current: ACTIVE_KEY_1, forModel: PRO }),
    ).toMatchObject({ kind: 'switch', keyId: 2, fromKeyId: 1 })
  })

  it('answers 403 model_unavailable when no key will ever serve the model', () => {
    const { clock, decide } = guardWith('wait')
    const refused = refusal(
      decide({ kind: 'none', current: ACTIVE_KEY_1, retryAt: null, blockedFor: PRO }),
    )
    expect(refused).toMatchObject({
      code: 'no_available_key',
      retryAt: null,
      explanation: { code: 'model_unavailable', params: { model: PRO } },
    })
    const error = refusalError(refused, clock.now())
    expect(error).toBeInstanceOf(ModelUnavailable)
    expect(error).toMatchObject({ code: 'SFP_NO_AVAILABLE_KEY', statusCode: 403 })
    expect(error).not.toHaveProperty('retryAfterSeconds')
  })

  it('answers 503 no_available_key with Retry-After while a key that may serve comes back later', () => {
    const { clock, decide } = guardWith('wait')
    const retryAt = clock.now() + 5 * MINUTE
    const refused = refusal(
      decide({ kind: 'none', current: ACTIVE_KEY_1, retryAt, blockedFor: PRO }),
    )
    const error = refusalError(refused, clock.now())
    expect(error).toBeInstanceOf(NoAvailableKey)
    expect(error).toMatchObject({ statusCode: 503, retryAfterSeconds: 300 })
  })
})
