/**
 * A set of change listeners. Notifying happens after state changes (a slot handed over, a key
 * recorded), so a listener that throws must not undo or interrupt that work: its error goes to
 * `reportError` and the other listeners still run. `Event` is what listeners are told, if anything.
 */
export interface ListenerSet<Event = void> {
  add(listener: (event: Event) => void): () => void
  notify(event: Event): void
  clear(): void
}

export function createListenerSet<Event = void>(
  reportError: (error: unknown) => void,
): ListenerSet<Event> {
  const listeners = new Set<(event: Event) => void>()
  return {
    add(listener) {
      // A wrapper per subscription, so the same function subscribed twice unsubscribes separately.
      const entry = (event: Event) => listener(event)
      listeners.add(entry)
      return () => {
        listeners.delete(entry)
      }
    },
    notify(event) {
      for (const listener of listeners) {
        try {
          listener(event)
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
