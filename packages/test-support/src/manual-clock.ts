/**
 * A clock and timers that move only when the test says so, for code that takes `now` and a
 * `setTimer` (the dispatch's guards and queue, the egress service's re-checks and counters).
 */

/** A `setTimer` dependency: run `callback` after `delayMs`, return the cancel. */
export type SetTimer = (callback: () => void, delayMs: number) => () => void

/** A clock and timers that move only when the test says so. */
export interface ManualClock {
  now(): number
  setTimer: SetTimer
  /** Move time forward, running every timer that falls due on the way, in due order. */
  advance(ms: number): void
  /** Move time forward without running any timer (a timer that fires late). */
  jump(ms: number): void
  /** Timers scheduled and not yet run or cancelled. */
  pendingTimers(): number
  /** When the earliest pending timer is due; undefined when none is. */
  nextDue(): number | undefined
}

export const START = Date.UTC(2026, 0, 1, 12, 0, 0)

export function createManualClock(start = START): ManualClock {
  let time = start
  let nextId = 0
  const timers = new Map<number, { due: number; callback: () => void }>()

  function earliest(limit: number): [number, { due: number; callback: () => void }] | undefined {
    let found: [number, { due: number; callback: () => void }] | undefined
    for (const entry of timers) {
      if (entry[1].due > limit) continue
      if (found === undefined || entry[1].due < found[1].due) found = entry
    }
    return found
  }

  return {
    now: () => time,
    setTimer(callback, delayMs) {
      const id = nextId++
      timers.set(id, { due: time + Math.max(0, delayMs), callback })
      return () => {
        timers.delete(id)
      }
    },
    advance(ms) {
      const target = time + ms
      for (let entry = earliest(target); entry !== undefined; entry = earliest(target)) {
        const [id, timer] = entry
        timers.delete(id)
        time = Math.max(time, timer.due)
        timer.callback()
      }
      time = target
    },
    jump(ms) {
      time += ms
    },
    pendingTimers: () => timers.size,
    nextDue: () => earliest(Number.POSITIVE_INFINITY)?.[1].due,
  }
}
