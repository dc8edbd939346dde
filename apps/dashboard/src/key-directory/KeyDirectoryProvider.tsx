import type { KeyView } from '@sfp/schemas'
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
import { type KeyListSignatures, keyListSignatures } from './pool-change.js'

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
/** Use of the key in use refreshes its row, at most this often (one small request). */
const CURRENT_KEY_REFRESH_MS = 2000

/**
 * The whole key list, loaded once for every page: the Keys table filters it in memory (instant,
 * with a count per state), and the overview, logs and events use it to show `#id` as a masked
 * key. 10,000 keys are about 3 MB of JSON, so the list reloads only when the status says keys
 * changed state (see `pool-change.ts`); use of the key in use refreshes just that key.
 */
export function KeyDirectoryProvider({ api, children }: { api: AdminApi; children: ReactNode }) {
  const [keys, setKeys] = useState<readonly KeyView[] | null>(null)
  const [loading, setLoading] = useState(true)
  const [error, setError] = useState<unknown>(null)
  /** The whole-list load in flight, if any. */
  const listLoad = useRef<AbortController | null>(null)
  const keyLoad = useRef<AbortController | null>(null)
  const keysRef = useRef(keys)
  keysRef.current = keys

  const reload = useCallback(() => {
    listLoad.current?.abort()
    // The whole list carries the key too, and is newer.
    keyLoad.current?.abort()
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
  }, [api])

  useEffect(() => {
    reload()
    return () => {
      listLoad.current?.abort()
      keyLoad.current?.abort()
    }
  }, [reload])

  const upsert = useCallback((updated: KeyView) => {
    setKeys(
      (current) =>
        current?.map((key) => {
          if (key.id === updated.id) return updated
          // Only one key is in use: activating one demotes the previous one.
          return updated.isCurrent && key.isCurrent ? { ...key, isCurrent: false } : key
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
      keyLoad.current?.abort()
      const controller = new AbortController()
      keyLoad.current = controller
      api.listKeys({ offset: index, limit: 1 }, controller.signal).then(
        (answer) => {
          if (controller.signal.aborted) return
          const key = answer.keys[0]
          if (key?.id === id) upsert(key)
          else reload()
        },
        // A failed refresh of one row is not worth an error on every page; the next use retries.
        () => undefined,
      )
    },
    [api, reload, upsert],
  )

  usePoolChangeRefresh(reload, refreshKey)

  const value = useMemo<KeyDirectory>(() => {
    const byId = new Map((keys ?? []).map((key) => [key.id, key]))
    return { keys, byId, loading, error, reload, upsert }
  }, [keys, loading, error, reload, upsert])

  return <KeyDirectoryContext value={value}>{children}</KeyDirectoryContext>
}

/** Reloads the list (debounced) or refreshes the key in use (throttled) as the status changes. */
function usePoolChangeRefresh(reload: () => void, refreshKey: (id: number) => void): void {
  const { status } = useLiveStatus()
  const signatures = status === null ? null : keyListSignatures(status)
  const currentKeyId = status?.pool.currentKeyId ?? null
  const previous = useRef<KeyListSignatures | null>(null)
  const currentKeyIdRef = useRef(currentKeyId)
  currentKeyIdRef.current = currentKeyId
  const reloadTimer = useRef<ReturnType<typeof setTimeout> | null>(null)
  const keyTimer = useRef<ReturnType<typeof setTimeout> | null>(null)
  const list = signatures?.list ?? null
  const currentKey = signatures?.currentKey ?? null

  useEffect(() => {
    const before = previous.current
    previous.current = list === null || currentKey === null ? null : { list, currentKey }
    if (before === null || list === null || currentKey === null) return
    if (before.list !== list) {
      if (reloadTimer.current !== null) clearTimeout(reloadTimer.current)
      if (keyTimer.current !== null) clearTimeout(keyTimer.current)
      keyTimer.current = null
      reloadTimer.current = setTimeout(() => {
        reloadTimer.current = null
        reload()
      }, RELOAD_DEBOUNCE_MS)
      return
    }
    if (before.currentKey === currentKey) return
    // A pending reload or refresh brings this change as well.
    if (reloadTimer.current !== null || keyTimer.current !== null) return
    keyTimer.current = setTimeout(() => {
      keyTimer.current = null
      if (currentKeyIdRef.current !== null) refreshKey(currentKeyIdRef.current)
    }, CURRENT_KEY_REFRESH_MS)
  }, [list, currentKey, reload, refreshKey])

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
