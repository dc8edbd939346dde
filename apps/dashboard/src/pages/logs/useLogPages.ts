import type { LogEntry } from '@sfp/schemas'
import { useCallback, useEffect, useRef, useState } from 'react'
import { isAbortError } from '../../api/api-error.js'
import type { Query } from '../../api/http-client.js'
import { useAdminApi } from '../../auth/SessionProvider.js'

export interface LogPages {
  items: readonly LogEntry[]
  nextCursor: string | null
  loading: boolean
  error: unknown
  loadMore(): void
}

/**
 * The first page for `query` (reloaded when `queryKey` changes), then more pages by cursor. The
 * same query (same `from` for "last 24 hours") is reused for every page so pages line up.
 */
export function useLogPages(buildQuery: () => Query, queryKey: string): LogPages {
  const api = useAdminApi()
  const [items, setItems] = useState<readonly LogEntry[]>([])
  const [nextCursor, setNextCursor] = useState<string | null>(null)
  const [loading, setLoading] = useState(true)
  const [error, setError] = useState<unknown>(null)
  const query = useRef<Query>({})
  const controller = useRef<AbortController | null>(null)
  const buildRef = useRef(buildQuery)
  buildRef.current = buildQuery

  const fetchPage = useCallback(
    (cursor: string | null) => {
      controller.current?.abort()
      const current = new AbortController()
      controller.current = current
      setLoading(true)
      setError(null)
      const pageQuery = cursor === null ? query.current : { ...query.current, cursor }
      api.logs(pageQuery, current.signal).then(
        (page) => {
          if (current.signal.aborted) return
          setItems((before) => (cursor === null ? page.items : [...before, ...page.items]))
          setNextCursor(page.nextCursor)
          setLoading(false)
        },
        (failure: unknown) => {
          if (current.signal.aborted || isAbortError(failure)) return
          setError(failure)
          setLoading(false)
        },
      )
    },
    [api],
  )

  useEffect(() => {
    query.current = buildRef.current()
    setItems([])
    setNextCursor(null)
    fetchPage(null)
    return () => controller.current?.abort()
  }, [queryKey, fetchPage])

  const loadMore = useCallback(() => {
    if (nextCursor !== null) fetchPage(nextCursor)
  }, [nextCursor, fetchPage])

  return { items, nextCursor, loading, error, loadMore }
}
