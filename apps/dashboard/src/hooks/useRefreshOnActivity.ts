import { useEffect, useRef } from 'react'

export interface ActivityRefreshTiming {
  /** Least time between two refreshes caused by activity. */
  minIntervalMs: number
  /** Least time from the activity to the refresh, for what it causes to be written down. */
  settleMs: number
}

/**
 * Calls `refresh` after `activity` (a signature of the live status) changes, throttled: a burst of
 * changes ends in one refresh, at most one per `minIntervalMs`, and never sooner than `settleMs`
 * after the change that started it. The first signature is the baseline, not a change.
 */
export function useRefreshOnActivity(
  activity: string | null,
  refresh: () => void,
  { minIntervalMs, settleMs }: ActivityRefreshTiming,
): void {
  const previous = useRef(activity)
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null)
  const lastRefreshAt = useRef(Number.NEGATIVE_INFINITY)
  const refreshRef = useRef(refresh)
  refreshRef.current = refresh

  useEffect(() => {
    const before = previous.current
    previous.current = activity
    if (before === null || activity === null || before === activity) return
    // The refresh already scheduled runs after this change too and so covers it.
    if (pending.current !== null) return
    const now = Date.now()
    const due = Math.max(now + settleMs, lastRefreshAt.current + minIntervalMs)
    pending.current = setTimeout(() => {
      pending.current = null
      lastRefreshAt.current = Date.now()
      refreshRef.current()
    }, due - now)
  }, [activity, minIntervalMs, settleMs])

  useEffect(
    () => () => {
      if (pending.current !== null) clearTimeout(pending.current)
      pending.current = null
    },
    [],
  )
}
