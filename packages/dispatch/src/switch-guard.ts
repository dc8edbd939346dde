import type { Clock } from '@sfp/runtime'
import type { KeySwitchPolicy } from '@sfp/schemas'
import { createListenerSet } from './listeners.js'
import type { SwitchGuard } from './types.js'

export interface SwitchGuardOptions {
  /** KEY_SWITCH_GUARD_MINUTES; 0 turns the guard off. */
  minutes: number
  policy: KeySwitchPolicy
  clock: Clock
  /** Where the guard's memory survives a restart (its egress row). */
  store: GuardMemoryStore
  reportError?: (error: unknown) => void
}

/** What the guard remembers, as stored (ms since the epoch). */
export interface SwitchGuardMemory {
  lastUsedKeyId: number | null
  lastUsedAt: number | null
  lastSwitchAt: number | null
}

/** Where a guard keeps its memory across restarts. */
export interface GuardMemoryStore {
  /** May throw or return odd values: the guard then starts with no memory. */
  load(): Partial<Record<keyof SwitchGuardMemory, unknown>> | undefined
  /**
   * Called at every use. The store writes behind (at most once a second, the write-behind's
   * interval), except when `urgent`: a change of key is written at once, so that a crash right
   * after it cannot reopen the window on the old key.
   */
  save(memory: SwitchGuardMemory, time: number, urgent: boolean): void
}

/** Whether sending `keyId` upstream now is allowed, and whether it would be a switch. */
export type SwitchVerdict =
  /** The key last used, or nothing used yet: no switch. */
  | { kind: 'same' }
  /** Another key, but the guard is off or its window has passed. */
  | { kind: 'switch'; fromKeyId: number }
  /** Another key inside the window: refused under `wait`, allowed under `immediate`. */
  | { kind: 'switch-in-window'; fromKeyId: number; windowEndsAt: number; allowed: boolean }

export interface SwitchGuardService extends SwitchGuard {
  readonly minutes: number
  /** No side effects: what `recordUse(keyId)` at `now` would amount to. */
  check(keyId: number, now?: number): SwitchVerdict
  memory(): Readonly<SwitchGuardMemory>
  /** Read the memory from the store again (cluster mode: the lane was just taken over). */
  reload(): void
  /**
   * `keyId` went out at `at`, later than the memory says (cluster mode: a switch whose claim
   * reached the database while the memory's own write did not): it becomes the memory.
   */
  adopt(keyId: number, at: number): void
  onChange(listener: () => void): () => void
  /** Shutdown: stop the window timer. */
  close(): void
}

const EMPTY_MEMORY: SwitchGuardMemory = {
  lastUsedKeyId: null,
  lastUsedAt: null,
  lastSwitchAt: null,
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

const isTime = (value: unknown): value is number | null =>
  value === null || (typeof value === 'number' && Number.isFinite(value))

/** A stored value that is not what we wrote is treated as no memory rather than stopping boot. */
function loadMemory(store: GuardMemoryStore): SwitchGuardMemory {
  let stored: Partial<Record<keyof SwitchGuardMemory, unknown>> | undefined
  try {
    stored = store.load()
  } catch {
    return { ...EMPTY_MEMORY }
  }
  const { lastUsedKeyId, lastUsedAt, lastSwitchAt } = stored ?? {}
  if (!isTime(lastUsedKeyId) || !isTime(lastUsedAt) || !isTime(lastSwitchAt)) {
    return { ...EMPTY_MEMORY }
  }
  return { lastUsedKeyId, lastUsedAt, lastSwitchAt }
}

/**
 * Remembers the key last sent upstream through one egress and when, so that two different keys
 * are not used from that IP within KEY_SWITCH_GUARD_MINUTES (the ban the project guards against:
 * README "Why egress lanes"). The memory is kept on the egress row so that a restart does not
 * open the window: a change of key is written at once, further uses of the same key behind (two
 * writes per proxied request would otherwise be the server's largest CPU cost; after a crash the
 * window can end one write-behind interval early at most).
 */
export function createSwitchGuard(options: SwitchGuardOptions): SwitchGuardService {
  const { minutes, policy, store } = options
  const { now, setTimer } = options.clock
  const windowMs = minutes * 60_000
  const listeners = createListenerSet(options.reportError ?? ((error) => console.error(error)))
  let memory = loadMemory(store)
  let cancelWindowTimer: (() => void) | null = null

  function remember(next: SwitchGuardMemory, time: number, urgent: boolean): void {
    memory = next
    store.save(memory, time, urgent)
    watchWindowEnd()
    listeners.notify()
  }

  /**
   * The end of the window changes what the status shows (a switch becomes allowed) without any
   * call: tell the listeners then. One timer at a time; uses meanwhile only move the end, so a
   * timer that fires early sets the next one.
   */
  function watchWindowEnd(): void {
    if (cancelWindowTimer !== null || windowMs <= 0 || memory.lastUsedAt === null) return
    const endsIn = memory.lastUsedAt + windowMs - now()
    if (endsIn < 0) return
    cancelWindowTimer = setTimer(() => {
      cancelWindowTimer = null
      const { lastUsedAt } = memory
      if (lastUsedAt !== null && now() < lastUsedAt + windowMs) watchWindowEnd()
      else listeners.notify()
    }, endsIn)
  }

  function check(keyId: number, time = now()): SwitchVerdict {
    const { lastUsedKeyId, lastUsedAt } = memory
    if (lastUsedKeyId === null || lastUsedKeyId === keyId) return { kind: 'same' }
    if (windowMs <= 0 || lastUsedAt === null) return { kind: 'switch', fromKeyId: lastUsedKeyId }
    const windowEndsAt = lastUsedAt + windowMs
    if (time >= windowEndsAt) return { kind: 'switch', fromKeyId: lastUsedKeyId }
    return {
      kind: 'switch-in-window',
      fromKeyId: lastUsedKeyId,
      windowEndsAt,
      allowed: policy === 'immediate',
    }
  }

  /** `keyId` goes (or went) upstream now; a key other than the last one makes this a switch. */
  function use(keyId: number, urgent = false): void {
    const time = now()
    const changed = memory.lastUsedKeyId !== keyId
    const switched = changed && memory.lastUsedKeyId !== null
    const lastSwitchAt = switched ? time : memory.lastSwitchAt
    remember({ lastUsedKeyId: keyId, lastUsedAt: time, lastSwitchAt }, time, urgent || changed)
  }

  watchWindowEnd()

  return {
    minutes,
    policy,
    check,
    memory: () => memory,
    adopt(keyId, at) {
      if (memory.lastUsedAt !== null && memory.lastUsedAt >= at) return
      const switched = memory.lastUsedKeyId !== null && memory.lastUsedKeyId !== keyId
      remember(
        { lastUsedKeyId: keyId, lastUsedAt: at, lastSwitchAt: switched ? at : memory.lastSwitchAt },
        at,
        true,
      )
    },
    reload() {
      memory = loadMemory(store)
      cancelWindowTimer?.()
      cancelWindowTimer = null
      watchWindowEnd()
      listeners.notify()
    },
    onChange: (listener) => listeners.add(listener),
    recordUse(keyId) {
      use(keyId)
    },
    recordEnd(keyId) {
      // A call of a key the lane has left since (an admin override, or a switch under
      // `immediate`) must not make that key the lane's again: only the key in use is extended.
      if (keyId === memory.lastUsedKeyId) use(keyId)
    },
    /**
     * The admin chose `keyId` (the pool records the `override` key event). It counts as used from
     * now on: the key may serve at once, and the window against leaving it starts now.
     */
    recordOverride(keyId) {
      use(keyId, true)
    },
    close() {
      cancelWindowTimer?.()
      cancelWindowTimer = null
    },
    status() {
      const { lastUsedKeyId, lastUsedAt, lastSwitchAt } = memory
      const guarding = windowMs > 0 && lastUsedAt !== null
      return {
        policy,
        minutes,
        lastUsedKeyId,
        lastUsedAt: iso(lastUsedAt),
        lastSwitchAt: iso(lastSwitchAt),
        nextSwitchAllowedAt: guarding ? iso(lastUsedAt + windowMs) : null,
      }
    },
  }
}
