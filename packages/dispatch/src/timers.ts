/** Starts a one-shot timer and returns its cancel function (injected by tests). */
export type SetTimer = (callback: () => void, delayMs: number) => () => void

/** The real one: unref'ed, so a pending timer never keeps the process alive. */
export const startTimer: SetTimer = (callback, delayMs) => {
  const timer = setTimeout(callback, Math.max(0, delayMs))
  timer.unref()
  return () => clearTimeout(timer)
}
