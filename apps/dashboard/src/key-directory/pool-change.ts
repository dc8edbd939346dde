import type { StatusView } from '@sfp/schemas'

/** What in a status tells that the key list, or only the key in use, may be out of date. */
export interface KeyListSignatures {
  /** Keys per state, their number and the key in use: a change means reload the whole list. */
  list: string
  /** The key in use was sent upstream or a balance changed: refreshing that one key is enough. */
  currentKey: string
}

/**
 * Why these two suffice. Without the admin, only the key in use changes: its calls and last use,
 * its balance (background checks only probe the key in use, CONTRACT §4) and its state. A state
 * change moves a count, unless another key moved the other way at once; but a key that changes
 * without the admin is one being used, and that makes it the key in use. So every state change
 * shows in `list`, and every other change of a key in `currentKey`. The admin's own actions put
 * their answers in place themselves (`upsert`, `reload`).
 */
export function keyListSignatures({ pool, switchGuard }: StatusView): KeyListSignatures {
  return {
    list: JSON.stringify([pool.total, pool.byStatus, pool.currentKeyId]),
    currentKey: JSON.stringify([
      pool.totalBalance,
      switchGuard.lastUsedKeyId,
      switchGuard.lastUsedAt,
    ]),
  }
}
