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

/** Pool changes (states, current key, balances) arrive on the status stream; reload after them. */
const RELOAD_DEBOUNCE_MS = 1000

/**
 * The whole key list, loaded once for every page: the Keys table filters it in memory (instant,
 * with a count per state), and the overview, logs and events use it to show `#id` as a masked
 * key. 10,000 keys are about 3 MB of JSON, loaded in well under a second.
 */
export function KeyDirectoryProvider({ api, children }: { api: AdminApi; children: ReactNode }) {
  const [keys, setKeys] = useState<readonly KeyView[] | null>(null)
  const [loading, setLoading] = useState(true)
  const [error, setError] = useState<unknown>(null)
  const inFlight = useRef<AbortController | null>(null)

  const reload = useCallback(() => {
    inFlight.current?.abort()
    const controller = new AbortController()
    inFlight.current = controller
    setLoading(true)
    api.listKeys({}, controller.signal).then(
      (answer) => {
        if (controller.signal.aborted) return
        setKeys(answer.keys)
        setError(null)
        setLoading(false)
      },
      (failure: unknown) => {
        if (controller.signal.aborted || isAbortError(failure)) return
        setError(failure)
        setLoading(false)
      },
    )
  }, [api])

  useEffect(() => {
    reload()
    return () => inFlight.current?.abort()
  }, [reload])

  usePoolChangeReload(reload)

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

  const value = useMemo<KeyDirectory>(() => {
    const byId = new Map((keys ?? []).map((key) => [key.id, key]))
    return { keys, byId, loading, error, reload, upsert }
  }, [keys, loading, error, reload, upsert])

  return <KeyDirectoryContext value={value}>{children}</KeyDirectoryContext>
}

function usePoolChangeReload(reload: () => void): void {
  const { status } = useLiveStatus()
  const signature = status === null ? null : JSON.stringify(status.pool)
  const previous = useRef<string | null>(null)
  useEffect(() => {
    const before = previous.current
    previous.current = signature
    if (before === null || signature === null || before === signature) return
    const timer = setTimeout(reload, RELOAD_DEBOUNCE_MS)
    return () => clearTimeout(timer)
  }, [signature, reload])
}

export function useKeyDirectory(): KeyDirectory {
  const directory = use(KeyDirectoryContext)
  if (!directory) throw new Error('useKeyDirectory needs a <KeyDirectoryProvider> above it')
  return directory
}
