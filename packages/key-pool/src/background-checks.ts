import type { Clock } from '@sfp/runtime'
import type { CheckTrigger } from '@sfp/schemas'

/**
 * Balance checks nobody waits for: after every N successes of a key, and every
 * BALANCE_REFRESH_MINUTES for each lane's key. Only keys in use on a lane, and not `disabled`,
 * are ever probed this way: each probe sends that key upstream from its lane's IP. A success can
 * arrive after the admin activated another key or disabled this one, and a check can wait long
 * for its slot, so this is asked when the check is scheduled and again right before the key is
 * sent.
 * @see docs/behaviour.md §4 "Balance"
 */
export interface BackgroundChecks {
  /** Check `id` soon (through the gate) if a lane uses it and no check of it is running. */
  schedule(id: number): void
  /** Resolves when the checks running now have settled. */
  settled(): Promise<void>
  /** Clear the timer, abort waiting checks, and wait for the running ones to settle. */
  stop(): Promise<void>
}

export interface BackgroundChecksDeps {
  /**
   * One check of one key, ending in its state change; aborted at stop. It sends the key only if
   * `inUse()` still holds once the gate admits the check.
   */
  run(id: number, trigger: CheckTrigger, signal: AbortSignal, inUse: () => boolean): Promise<void>
  /** Whether a lane uses key `id` now. */
  inUse(id: number): boolean
  /** Every lane's key, for the periodic refresh. */
  keysInUse(): Iterable<number>
  /** A key in use is not probed while `disabled`. */
  isProbeable(id: number): boolean
  refreshMs: number
  clock: Clock
  reportError(error: unknown, keyId: number): void
}

export function createBackgroundChecks(deps: BackgroundChecksDeps): BackgroundChecks {
  const running = new Map<number, Promise<void>>()
  const abort = new AbortController()
  let stopped = false

  const inUse = (id: number) => deps.inUse(id) && deps.isProbeable(id)

  function start(id: number, trigger: CheckTrigger): void {
    if (stopped || running.has(id) || !inUse(id)) return
    const check = deps
      .run(id, trigger, abort.signal, () => inUse(id))
      .catch((error: unknown) => {
        // Aborted by stop(): shutting down is not a failure worth a warning.
        if (!abort.signal.aborted) deps.reportError(error, id)
      })
      .finally(() => running.delete(id))
    running.set(id, check)
  }

  // The periodic refresh: one timer of the app's clock at a time, set again each round.
  let cancelRefresh: (() => void) | null = null
  function scheduleRefresh(): void {
    if (deps.refreshMs <= 0 || stopped) return
    cancelRefresh = deps.clock.setTimer(() => {
      for (const id of deps.keysInUse()) start(id, 'scheduled_refresh')
      scheduleRefresh()
    }, deps.refreshMs)
  }
  scheduleRefresh()

  async function settled(): Promise<void> {
    while (running.size > 0) await Promise.allSettled([...running.values()])
  }

  return {
    schedule: (id) => start(id, 'after_calls'),
    settled,
    async stop() {
      stopped = true
      cancelRefresh?.()
      abort.abort()
      await settled()
    },
  }
}
