import type { StatusView } from '@sfp/schemas'

/** What in a status tells that the key list, or only the keys in use, may be out of date. */
export interface KeyListSignatures {
  /**
   * Keys per state, their number, the key in use and each egress lane's key: a change means
   * reload the whole list.
   */
  list: string
  /** A key in use was sent upstream or a balance changed: refreshing those keys is enough. */
  currentKey: string
}

/**
 * Why these two suffice. Without the admin, only the keys in use change (one per egress lane):
 * their calls and last use, their balance (background checks only probe keys in use,
 * docs/behaviour.md §4) and their state. A state change moves a count, unless another key moved the
 * other way at once; but a key that changes without the admin is one being used, and that makes it
 * a lane's key. A key moving to a lane changes its `egressId` and is a lane's key changing. So
 * every state or lane change shows in `list`, and every other change of a key in `currentKey`. The
 * admin's own actions put their answers in place themselves (`upsert`, `reload`).
 */
export function keyListSignatures({ pool, switchGuard, egresses }: StatusView): KeyListSignatures {
  return {
    list: JSON.stringify([
      pool.total,
      pool.byStatus,
      pool.currentKeyId,
      egresses.map((lane) => [lane.id, lane.switchGuard.currentKeyId]),
    ]),
    currentKey: JSON.stringify([
      pool.totalBalance,
      switchGuard.lastUsedKeyId,
      switchGuard.lastUsedAt,
      egresses.map((lane) => [
        lane.id,
        lane.switchGuard.lastUsedKeyId,
        lane.switchGuard.lastUsedAt,
      ]),
    ]),
  }
}

/**
 * The keys whose rows may have changed between two statuses with the same `list`: the key each
 * lane used since (calls, last use), and on a balance change every key in use (any of them may
 * have been checked).
 */
export function keysUsedBetween(before: StatusView, after: StatusView): number[] {
  const ids = new Set<number>()
  const add = (id: number | null) => {
    if (id !== null) ids.add(id)
  }
  if (before.pool.totalBalance !== after.pool.totalBalance) {
    add(after.pool.currentKeyId)
    for (const lane of after.egresses) add(lane.switchGuard.currentKeyId)
  }
  if (
    before.switchGuard.lastUsedKeyId !== after.switchGuard.lastUsedKeyId ||
    before.switchGuard.lastUsedAt !== after.switchGuard.lastUsedAt
  ) {
    add(after.pool.currentKeyId)
  }
  const lanesBefore = new Map(before.egresses.map((lane) => [lane.id, lane.switchGuard]))
  for (const lane of after.egresses) {
    const guard = lane.switchGuard
    const old = lanesBefore.get(lane.id)
    if (old?.lastUsedKeyId !== guard.lastUsedKeyId || old.lastUsedAt !== guard.lastUsedAt) {
      add(guard.lastUsedKeyId)
    }
  }
  return [...ids]
}
