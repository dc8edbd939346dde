/**
 * A set of change listeners. Notifying happens after state changes (a slot handed over, a key
 * recorded), so a listener that throws must not undo or interrupt that work: its error goes to
 * `reportError` and the other listeners still run.
 */
export interface ListenerSet {
  add(listener: () => void): () => void
  notify(): void
  clear(): void
}

export function createListenerSet(reportError: (error: unknown) => void): ListenerSet {
  const listeners = new Set<() => void>()
  return {
    add(listener) {
      // A wrapper per subscription, so the same function subscribed twice unsubscribes separately.
      const entry = () => listener()
      listeners.add(entry)
      return () => {
        listeners.delete(entry)
      }
    },
    notify() {
      for (const listener of listeners) {
        try {
          listener()
        } catch (error) {
          reportError(error)
        }
      }
    },
    clear() {
      listeners.clear()
    },
  }
}
