import fp from 'fastify-plugin'

/** Starts a one-shot timer and returns its cancel function. */
export type SetTimer = (callback: () => void, delayMs: number) => () => void

/**
 * Time and timers, one object. Every plugin reads the time and starts its timers through the
 * server's one clock (the `clock` decoration), so that a test moves them all with a manual clock
 * (`@sfp/test-support`) instead of threading a `now` through each factory.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number
  /** Timers never keep the process alive: a pending one does not delay shutdown. */
  setTimer: SetTimer
}

/** The real one: `Date.now` and unref'ed `setTimeout`s. */
export const systemClock: Clock = {
  now: Date.now,
  setTimer(callback, delayMs) {
    const timer = setTimeout(callback, Math.max(0, delayMs))
    timer.unref()
    return () => clearTimeout(timer)
  },
}

declare module 'fastify' {
  interface FastifyInstance {
    clock: Clock
  }
}

export interface ClockPluginOptions {
  /** Defaults to the system clock. */
  clock?: Clock | undefined
}

/** Decorates the server with its clock; registered first, every other plugin depends on it. */
export const clockPlugin = fp<ClockPluginOptions>(
  async (app, { clock = systemClock }) => {
    app.decorate('clock', clock)
  },
  { name: 'clock', fastify: '5.x' },
)
