import type { SetTimer } from '../../src/timers.js'

/** A clock and timers that move only when the test says so. */
export interface ManualClock {
  now(): number
  setTimer: SetTimer
  /** Move time forward, running every timer that falls due on the way, in order. */
  advance(ms: number): void
  pendingTimers(): number
}

export const START = Date.UTC(2026, 0, 1, 12, 0, 0)

export function createManualClock(start = START): ManualClock {
  let time = start
  let nextId = 0
  const timers = new Map<number, { due: number; callback: () => void }>()

  function nextDue(limit: number): [number, { due: number; callback: () => void }] | undefined {
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
      for (let entry = nextDue(target); entry !== undefined; entry = nextDue(target)) {
        const [id, timer] = entry
        timers.delete(id)
        time = Math.max(time, timer.due)
        timer.callback()
      }
      time = target
    },
    pendingTimers: () => timers.size,
  }
}

/** Let promise callbacks run (admissions resolve through the microtask queue). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve()
}
