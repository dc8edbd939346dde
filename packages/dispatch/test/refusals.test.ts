import type { Explanation } from '@sfp/schemas'
import { START } from '@sfp/test-support'
import { describe, expect, it } from 'vitest'
import type { Refusal } from '../src/key-chooser.js'
import { combineRefusals } from '../src/refusals.js'

const MINUTE = 60_000
const GUARD: Explanation = {
  code: 'guard_holds',
  params: {
    egressId: 1,
    minutes: 30,
    windowEndsAt: new Date(START).toISOString(),
    subject: { kind: 'key', keyId: 2, lastKeyId: 1 },
    hint: 'switch_sooner',
  },
}
const NONE: Explanation = { code: 'no_usable_key', params: { current: null, nextAt: null } }
const guard = (retryAt: number | null): Refusal => ({
  kind: 'refuse',
  code: 'key_switch_guard',
  message: 'held back',
  retryAt,
  explanation: GUARD,
})

describe('combines-the-lanes-refusals', () => {
  it('passes a single lane key refusal on unchanged', () => {
    const refusal = guard(START + MINUTE)
    expect(combineRefusals([{ kind: 'key', laneId: 1, refusal }])).toEqual(refusal)
  })

  it('speaks with the key refusal that ends first, Retry-After the earliest of all', () => {
    const combined = combineRefusals([
      { kind: 'key', laneId: 1, refusal: guard(START + 20 * MINUTE) },
      {
        kind: 'key',
        laneId: 2,
        refusal: {
          kind: 'refuse',
          code: 'no_available_key',
          message: 'none',
          retryAt: null,
          explanation: NONE,
        },
      },
      { kind: 'egress', laneId: 3, state: 'down', backAt: START + MINUTE, reason: 'ECONNREFUSED' },
    ])
    expect(combined).toEqual({
      kind: 'refuse',
      code: 'key_switch_guard',
      message: 'held back (2 other egresses cannot serve either.)',
      retryAt: START + MINUTE,
      explanation: GUARD,
    })
  })

  it('says egress_blocked when one blocked egress is the only reason', () => {
    expect(
      combineRefusals([
        { kind: 'egress', laneId: 1, state: 'blocked', backAt: START + MINUTE, reason: 'code' },
      ]),
    ).toEqual({
      kind: 'refuse',
      code: 'egress_blocked',
      message:
        'SiliconFlow blocked the IP of egress #1; it rests until 2026-01-01T12:01:00.000Z. Add another egress (a proxy) to keep serving meanwhile.',
      retryAt: START + MINUTE,
      explanation: {
        code: 'egress_out',
        params: { egressId: 1, state: 'blocked', until: '2026-01-01T12:01:00.000Z' },
      },
    })
  })

  it('says no_available_egress for several egresses out, or none enabled', () => {
    expect(
      combineRefusals([
        { kind: 'egress', laneId: 1, state: 'blocked', backAt: START + 9 * MINUTE, reason: null },
        {
          kind: 'egress',
          laneId: 2,
          state: 'down',
          backAt: START + MINUTE,
          reason: 'ECONNREFUSED',
        },
      ]),
    ).toMatchObject({
      code: 'no_available_egress',
      retryAt: START + MINUTE,
      explanation: {
        code: 'no_egress',
        params: {
          outs: [
            { egressId: 1, state: 'blocked' },
            { egressId: 2, state: 'down' },
          ],
          nextAt: new Date(START + MINUTE).toISOString(),
        },
      },
    })
    expect(combineRefusals([])).toEqual({
      kind: 'refuse',
      code: 'no_available_egress',
      message:
        'No egress can reach SiliconFlow now: no egress is enabled: enable one, or add a proxy in the dashboard.',
      retryAt: null,
      explanation: { code: 'no_egress', params: { outs: [], nextAt: null } },
    })
  })
})
