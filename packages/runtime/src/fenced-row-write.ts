import type { Coalescing } from './write-behind.js'

/**
 * A row's queued write in two parts, for a write-behind that coalesces by row (cluster mode,
 * docs/behaviour.md §9): `patch`, the row's own fields (counters, a state, an admin's change),
 * always written; `fenced`, the fields a lane's lease guards (a key's binding to the lane, the
 * lane's switch-guard memory), written only while `fence` still names this holder. The parts stay
 * apart through merges, so a refused fence takes nothing else with it, and a field set later
 * leaves the part it was in, so that the newest value is the one written.
 */
export interface FencedRowWrite<Patch extends object, Fence> {
  id: number
  patch: Patch
  fenced?: { patch: Patch; fence: Fence } | undefined
}

const fieldNames = <Patch extends object>(patch: Patch) => Object.keys(patch) as (keyof Patch)[]

/** Whether a patch sets anything (a write made of a fenced part alone has an empty `patch`). */
export function hasFields(patch: object): boolean {
  for (const _ in patch) return true
  return false
}

/**
 * Folds `newer` into `own`, whose patch objects the queue owns (a `Coalescing.mergeInto`): later
 * fields win, across the two parts too; the newer fence, if any, covers the fenced part.
 */
export function foldRowWrite<Patch extends object, Fence>(
  own: FencedRowWrite<Patch, Fence>,
  newer: FencedRowWrite<Patch, Fence>,
): void {
  Object.assign(own.patch, newer.patch)
  // Rare (a binding, a lane's memory): the common fold of counters into counters skips both.
  if (own.fenced !== undefined) {
    for (const field of fieldNames(newer.patch)) delete own.fenced.patch[field]
  }
  if (newer.fenced === undefined) return
  for (const field of fieldNames(newer.fenced.patch)) delete own.patch[field]
  own.fenced = {
    patch: { ...own.fenced?.patch, ...newer.fenced.patch } as Patch,
    fence: newer.fenced.fence,
  }
}

/** A copy of `item` (its other fields too) whose patch objects the queue owns. */
export function copyRowWrite<Write extends FencedRowWrite<object, unknown>>(item: Write): Write {
  const { fenced } = item
  return {
    ...item,
    patch: { ...item.patch },
    fenced: fenced === undefined ? undefined : { patch: { ...fenced.patch }, fence: fenced.fence },
  }
}

/** Every field the write sets, both parts (what a reader of the rows puts back on top). */
export function rowWriteFields<Patch extends object>(write: FencedRowWrite<Patch, unknown>): Patch {
  return { ...write.patch, ...write.fenced?.patch }
}

/**
 * The `coalesce` of a write-behind of row writes: one item per row id, later writes folded in
 * with `fold` (`foldRowWrite`, or one that folds the item's other fields beside it).
 */
export function coalesceRowWrites<Write extends FencedRowWrite<object, unknown>>(
  fold: (own: Write, newer: Write) => void,
): Coalescing<Write> {
  return {
    keyOf: (write) => write.id,
    merge(older, newer) {
      const merged = copyRowWrite(older)
      fold(merged, newer)
      return merged
    },
    mergeInto: fold,
  }
}
