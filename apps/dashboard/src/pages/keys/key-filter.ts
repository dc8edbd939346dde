import { emptyStatusCounts, KEY_STATUSES, type KeyStatus, type KeyView } from '@sfp/schemas'

export type KeyStatusFilter = KeyStatus | 'all'

export interface KeyFilter {
  status: KeyStatusFilter
  /** Matches the label, the masked key, or the id (`12` or `#12`). */
  search: string
}

/** The `?status=` of the Keys page URL; anything unknown means all. */
export function parseStatusFilter(value: string | null): KeyStatusFilter {
  return KEY_STATUSES.find((status) => status === value) ?? 'all'
}

export function filterKeys(keys: readonly KeyView[], filter: KeyFilter): readonly KeyView[] {
  const needle = filter.search.trim().toLowerCase()
  const id = /^#?(\d+)$/.exec(needle)?.[1]
  if (filter.status === 'all' && needle === '') return keys
  return keys.filter((key) => {
    if (filter.status !== 'all' && key.status !== filter.status) return false
    if (needle === '') return true
    if (id !== undefined && key.id === Number(id)) return true
    return (
      key.maskedKey.toLowerCase().includes(needle) ||
      (key.label?.toLowerCase().includes(needle) ?? false)
    )
  })
}

export function countByStatus(keys: readonly KeyView[]): Record<KeyStatus, number> {
  const counts = emptyStatusCounts()
  for (const key of keys) counts[key.status]++
  return counts
}
