import type { KeyView, StatusView } from '@sfp/schemas'
import {
  createContext,
  type ReactNode,
  use,
  useCallback,
  useEffect,
  useMemo,
  useRef,
  useState,
} from 'react'
import type { AdminApi } from '../api/admin-api.js'
import { isAbortError } from '../api/api-error.js'
import { useLiveStatus } from '../live-status/LiveStatusProvider.js'
import { type KeyListSignatures, keyListSignatures, keysUsedBetween } from './pool-change.js'

export interface KeyDirectory {
  /** Every upstream key (masked), oldest first; null until the first load. */
  keys: readonly KeyView[] | null
  byId: ReadonlyMap<number, KeyView>
  loading: boolean
  error: unknown
  reload(): void
  /** Puts the answer of a one-key action in place, without reloading every key. */
  upsert(key: KeyView): void
}

const KeyDirectoryContext = createContext<KeyDirectory | null>(null)

/** Pool changes arrive on the status stream; the whole list reloads once they have settled. */
const RELOAD_DEBOUNCE_MS = 1000
/** Use of the keys in use refreshes their rows, at most this often (one small request each). */
const CURRENT_KEY_REFRESH_MS = 2000

/**
 * The whole key list, loaded once for every page: the Keys table filters it in memory (instant,
 * with a count per state), and the overview, logs and events use it to show `#id` as a masked
 * key. 10,000 keys are about 3 MB of JSON, so the list reloads only when the status says keys
 * changed state or lane (see `pool-change.ts`); use of a key in use refreshes just that key.
 */
export function KeyDirectoryProvider({ api, children }: { api: AdminApi; children: ReactNode }) {
  const [keys, setKeys] = useState<readonly KeyView[] | null>(null)
  const [loading, setLoading] = useState(true)
  const [error, setError] = useState<unknown>(null)
  /** The whole-list load in flight, if any. */
  const listLoad = useRef<AbortController | null>(null)
  /** One-key loads in flight, by key id. */
  const keyLoads = useRef(new Map<number, AbortController>())
  const keysRef = useRef(keys)
  keysRef.current = keys
  const { status } = useLiveStatus()
  /** With one lane there is one key in use; with more, each lane has its own. */
  const laneCount = useRef(1)
  laneCount.current = status?.egresses.length ?? 1

  const abortKeyLoads = useCallback(() => {
    for (const controller of keyLoads.current.values()) controller.abort()
    keyLoads.current.clear()
  }, [])

  const reload = useCallback(() => {
    listLoad.current?.abort()
    // The whole list carries the keys too, and is newer.
    abortKeyLoads()
    const controller = new AbortController()
    listLoad.current = controller
    setLoading(true)
    const settle = () => {
      if (listLoad.current === controller) listLoad.current = null
    }
    api.listKeys({}, controller.signal).then(
      (answer) => {
        if (controller.signal.aborted) return
        settle()
        setKeys(answer.keys)
        setError(null)
        setLoading(false)
      },
      (failure: unknown) => {
        if (controller.signal.aborted || isAbortError(failure)) return
        settle()
        setError(failure)
        setLoading(false)
      },
    )
  }, [api, abortKeyLoads])

  useEffect(() => {
    reload()
    return () => {
      listLoad.current?.abort()
      abortKeyLoads()
    }
  }, [reload, abortKeyLoads])

  const upsert = useCallback((updated: KeyView) => {
    // With one lane, making a key current demotes the previous one. With several, it takes the
    // place of one lane's key only: the status shows which, and the list reload that follows
    // lane changes brings the demoted key.
    const demote = updated.isCurrent && laneCount.current <= 1
    setKeys(
      (current) =>
        current?.map((key) => {
          if (key.id === updated.id) return updated
          return demote && key.isCurrent ? { ...key, isCurrent: false } : key
        }) ?? null,
    )
  }, [])

  /**
   * Loads one key by its position (the list is in id order; there is no route for one key). If
   * keys were added or removed meanwhile the position holds another key: then the whole list.
   */
  const refreshKey = useCallback(
    (id: number) => {
      // The list on its way carries the key too.
      if (listLoad.current !== null) return
      const index = keysRef.current?.findIndex((key) => key.id === id) ?? -1
      if (index < 0) {
        reload()
        return
      }
      keyLoads.current.get(id)?.abort()
      const controller = new AbortController()
      keyLoads.current.set(id, controller)
      const settle = () => {
        if (keyLoads.current.get(id) === controller) keyLoads.current.delete(id)
      }
      api.listKeys({ offset: index, limit: 1 }, controller.signal).then(
        (answer) => {
          if (controller.signal.aborted) return
          settle()
          const key = answer.keys[0]
          if (key?.id === id) upsert(key)
          else reload()
        },
        // A failed refresh of one row is not worth an error on every page; the next use retries.
        () => settle(),
      )
    },
    [api, reload, upsert],
  )

  usePoolChangeRefresh(status, reload, refreshKey)

  const value = useMemo<KeyDirectory>(() => {
    const byId = new Map((keys ?? []).map((key) => [key.id, key]))
    return { keys, byId, loading, error, reload, upsert }
  }, [keys, loading, error, reload, upsert])

  return <KeyDirectoryContext value={value}>{children}</KeyDirectoryContext>
}

/** Reloads the list (debounced) or refreshes the keys in use (throttled) as the status changes. */
function usePoolChangeRefresh(
  status: StatusView | null,
  reload: () => void,
  refreshKey: (id: number) => void,
): void {
  const previous = useRef<{ status: StatusView; signatures: KeyListSignatures } | null>(null)
  const reloadTimer = useRef<ReturnType<typeof setTimeout> | null>(null)
  const keyTimer = useRef<ReturnType<typeof setTimeout> | null>(null)
  /** Keys to refresh when the key timer fires. */
  const pendingKeys = useRef(new Set<number>())

  useEffect(() => {
    if (status === null) return
    const before = previous.current
    const signatures = keyListSignatures(status)
    previous.current = { status, signatures }
    if (before === null) return
    if (before.signatures.list !== signatures.list) {
      if (reloadTimer.current !== null) clearTimeout(reloadTimer.current)
      if (keyTimer.current !== null) clearTimeout(keyTimer.current)
      keyTimer.current = null
      pendingKeys.current.clear()
      reloadTimer.current = setTimeout(() => {
        reloadTimer.current = null
        reload()
      }, RELOAD_DEBOUNCE_MS)
      return
    }
    if (before.signatures.currentKey === signatures.currentKey) return
    // A pending reload brings this change as well.
    if (reloadTimer.current !== null) return
    for (const id of keysUsedBetween(before.status, status)) pendingKeys.current.add(id)
    // A pending refresh runs after this change and takes the keys added just now along.
    if (keyTimer.current !== null || pendingKeys.current.size === 0) return
    keyTimer.current = setTimeout(() => {
      keyTimer.current = null
      const ids = [...pendingKeys.current]
      pendingKeys.current.clear()
      for (const id of ids) refreshKey(id)
    }, CURRENT_KEY_REFRESH_MS)
  }, [status, reload, refreshKey])

  useEffect(
    () => () => {
      if (reloadTimer.current !== null) clearTimeout(reloadTimer.current)
      if (keyTimer.current !== null) clearTimeout(keyTimer.current)
    },
    [],
  )
}

export function useKeyDirectory(): KeyDirectory {
  const directory = use(KeyDirectoryContext)
  if (!directory) throw new Error('useKeyDirectory needs a <KeyDirectoryProvider> above it')
  return directory
}
