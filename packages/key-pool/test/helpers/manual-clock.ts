/** A clock the test moves by hand: every time rule of the pool reads it. */
export interface ManualClock {
  now: () => number
  advance(ms: number): void
  set(ms: number): void
}

export const T0 = Date.parse('2026-03-01T08:00:00.000Z')

export function manualClock(start = T0): ManualClock {
  let time = start
  return {
    now: () => time,
    advance(ms) {
      time += ms
    },
    set(ms) {
      time = ms
    },
  }
}
