import { type DependencyList, useCallback, useEffect, useRef, useState } from 'react'
import { isAbortError } from '../api/api-error.js'

export interface ApiResource<T> {
  data: T | undefined
  error: unknown
  loading: boolean
  /** Loads again; the previous data stays visible meanwhile. */
  reload(): void
}

/**
 * Loads `load` on mount and whenever `deps` change, aborting the previous load, so a slow answer
 * for an old filter can never overwrite a newer one.
 */
export function useApiResource<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: DependencyList,
): ApiResource<T> {
  const [data, setData] = useState<T>()
  const [error, setError] = useState<unknown>(null)
  const [loading, setLoading] = useState(true)
  const [generation, setGeneration] = useState(0)
  const loadRef = useRef(load)
  loadRef.current = load

  useEffect(() => {
    const controller = new AbortController()
    setLoading(true)
    loadRef.current(controller.signal).then(
      (value) => {
        if (controller.signal.aborted) return
        setData(value)
        setError(null)
        setLoading(false)
      },
      (failure: unknown) => {
        if (controller.signal.aborted || isAbortError(failure)) return
        setError(failure)
        setLoading(false)
      },
    )
    return () => controller.abort()
  }, [...deps, generation])

  const reload = useCallback(() => setGeneration((value) => value + 1), [])
  return { data, error, loading, reload }
}
