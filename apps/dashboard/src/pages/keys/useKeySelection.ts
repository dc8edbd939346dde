import type { KeyView } from '@sfp/schemas'
import { useCallback, useMemo, useState } from 'react'

export interface KeySelection {
  /** Selected ids that still exist. */
  ids: readonly number[]
  has(id: number): boolean
  toggle(id: number): void
  /** Selects all of `ids`, or unselects them all if they all were selected. */
  toggleAll(ids: readonly number[]): void
  clear(): void
}

/** Multi-select over the key list; ids of keys deleted meanwhile drop out by themselves. */
export function useKeySelection(keys: readonly KeyView[] | null): KeySelection {
  const [selected, setSelected] = useState<ReadonlySet<number>>(new Set())
  const ids = useMemo(
    () => (keys ?? []).filter((key) => selected.has(key.id)).map((key) => key.id),
    [keys, selected],
  )
  const has = useCallback((id: number) => selected.has(id), [selected])
  const toggle = useCallback((id: number) => {
    setSelected((current) => {
      const next = new Set(current)
      if (!next.delete(id)) next.add(id)
      return next
    })
  }, [])
  const toggleAll = useCallback((all: readonly number[]) => {
    setSelected((current) => {
      const allSelected = all.length > 0 && all.every((id) => current.has(id))
      const next = new Set(current)
      for (const id of all) {
        if (allSelected) next.delete(id)
        else next.add(id)
      }
      return next
    })
  }, [])
  const clear = useCallback(() => setSelected(new Set()), [])
  return { ids, has, toggle, toggleAll, clear }
}
