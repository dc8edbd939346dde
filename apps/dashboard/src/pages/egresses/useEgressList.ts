import type { EgressView } from '@sfp/schemas'
import { useCallback, useEffect, useRef, useState } from 'react'
import { isAbortError } from '../../api/api-error.js'
import { useAdminApi } from '../../auth/SessionProvider.js'

export interface EgressList {
  /** Null until the first answer. */
  egresses: readonly EgressView[] | null
  error: unknown
  loading: boolean
  /** Loads again (aborting a load in flight); the list stays visible meanwhile. */
  reload(): void
  /** Puts the answer of a one-egress action in place at once. */
  upsert(egress: EgressView): void
  remove(id: number): void
}

/** `GET /egresses`, with the answers of actions put in place before the next load arrives. */
export function useEgressList(): EgressList {
  const api = useAdminApi()
  const [egresses, setEgresses] = useState<readonly EgressView[] | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [loading, setLoading] = useState(true)
  const load = useRef<AbortController | null>(null)

  const reload = useCallback(() => {
    load.current?.abort()
    const controller = new AbortController()
    load.current = controller
    setLoading(true)
    api.listEgresses(controller.signal).then(
      (answer) => {
        if (controller.signal.aborted) return
        load.current = null
        setEgresses(answer.egresses)
        setError(null)
        setLoading(false)
      },
      (failure: unknown) => {
        if (controller.signal.aborted || isAbortError(failure)) return
        load.current = null
        setError(failure)
        setLoading(false)
      },
    )
  }, [api])

  useEffect(() => {
    reload()
    return () => load.current?.abort()
  }, [reload])

  const upsert = useCallback((egress: EgressView) => {
    setEgresses((current) => {
      if (current === null) return [egress]
      return current.some((item) => item.id === egress.id)
        ? current.map((item) => (item.id === egress.id ? egress : item))
        : [...current, egress]
    })
  }, [])

  const remove = useCallback((id: number) => {
    setEgresses((current) => current?.filter((item) => item.id !== id) ?? null)
  }, [])

  return { egresses, error, loading, reload, upsert, remove }
}
