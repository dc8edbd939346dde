import type { Explanation } from '@sfp/schemas'
import type { KeyBinding, KeysInUse, LaneKeys } from '../../src/types.js'

/**
 * A lane as the dispatch shows it to `select`: its id, its key, and from when each key may go
 * through it. `availability` gives that time per key id (missing: 0, i.e. now).
 */
export function lane(
  id: number,
  currentKeyId: number | null = null,
  availability: Record<number, number> = {},
): LaneKeys {
  return { id, currentKeyId, availableAt: (key) => availability[key.id] ?? 0 }
}

/**
 * A lane that follows the rule the dispatch applies: a key bound to another lane may come here
 * only `guardMs` after its last use there; unbound keys and its own are available at once.
 */
export function guardedLane(id: number, currentKeyId: number | null, guardMs: number): LaneKeys {
  return {
    id,
    currentKeyId,
    availableAt: (key: KeyBinding) =>
      key.egressId === null || key.egressId === id ? 0 : (key.egressUsedAt ?? 0) + guardMs,
  }
}

/** The keys the lanes use, as the dispatch would tell the pool; the test changes them. */
export interface FakeKeysInUse extends KeysInUse {
  /** The lanes now use these keys; the first is the direct lane's (`primary`). */
  set(...ids: number[]): void
}

export function keysInUse(...initial: number[]): FakeKeysInUse {
  let ids = [...initial]
  return {
    has: (id) => ids.includes(id),
    all: () => [...ids],
    primary: () => ids[0] ?? null,
    set(...next) {
      ids = [...next]
    },
  }
}

/** The admin's activation on egress `egressId`, as the dispatch explains it. */
export const override = (egressId: number | null = 1): Explanation => ({
  code: 'activation_override',
  params: { egressId },
})

/** A lane's switch to key `toKeyId`, as the dispatch explains it. */
export const switched = (toKeyId: number, fromKeyId: number | null = null): Explanation => ({
  code: 'key_switch',
  params: { egressId: 1, fromKeyId, toKeyId, current: null, guardMinutes: null },
})
