import type {
  LaneFence,
  NewKeyEventRow,
  NewUpstreamKeyRow,
  Storage,
  UpstreamKeyPatch,
  UpstreamKeyRow,
} from '@sfp/db'
import {
  type Clock,
  coalesceRowWrites,
  createWriteBehind,
  type FencedRowWrite,
  foldRowWrite,
  hasFields,
} from '@sfp/runtime'
import type { Explanation, KeyStatus } from '@sfp/schemas'
import { reasonText, safeExplanation } from './error-text.js'
import { KeyNotFound } from './errors.js'
import type { KeyPoolLog, KeysInUse, PoolChangeListener } from './types.js'

/** What the pool needs of the database: the `database` plugin's decoration fits. */
export type KeyPoolStorage = Pick<Storage, 'upstreamKeys' | 'keyEvents' | 'settings'>

/** A key event as the pool records it: the English `reason` is derived from the explanation. */
export type KeyEvent = Omit<NewKeyEventRow, 'id' | 'time' | 'reason' | 'explanation'> & {
  explanation: Explanation
}

/**
 * The pool's working copy: every key row in memory (a Map iterates in insertion order, which is
 * id order, which is creation order). Changes reach the database through a write-behind: a
 * state change at once, usage counters and what a check read (a balance) within
 * COUNTER_FLUSH_MS, so that a restart finds this state (those: at most one interval behind after
 * a crash). Key events go through a second
 * one, written at once and in order. Neither makes a request wait for the database; adding and
 * removing keys (admin operations) do.
 */
export interface KeyStore {
  get(id: number): UpstreamKeyRow | undefined
  /** Throws KeyNotFound. */
  require(id: number): UpstreamKeyRow
  values(): IterableIterator<UpstreamKeyRow>
  readonly size: number
  hasFingerprint(fingerprint: string): boolean
  /** The keys the lanes use (the dispatch plugin tells); none until it does. */
  inUse: KeysInUse
  /**
   * Change counters or fields (not the status) and write them at once. With `fence` (cluster
   * mode: a key's binding to the lane whose lease it names) these fields are written only while
   * that lease is still this instance's; what else is queued for the key is written regardless.
   * Keeps `patch` as `touch` does.
   */
  patch(id: number, patch: UpstreamKeyPatch, fence?: LaneFence): UpstreamKeyRow
  /**
   * Change usage counters only (calls, last use, successes since a check): in memory at once,
   * in the database within COUNTER_FLUSH_MS or with the key's next `patch`, whichever is first.
   * Keeps `patch` (never changed) until it is written: not to be changed by the caller either.
   */
  touch(id: number, patch: UpstreamKeyPatch): UpstreamKeyRow
  /**
   * Facts that change no state (a balance read, an account note): in memory at once, in the
   * database as `touch` writes counters, and among the changes told to other instances (whose
   * views show them), which write what is queued before telling.
   */
  learn(id: number, patch: UpstreamKeyPatch): UpstreamKeyRow
  /** Shutdown: write pending counters and events now; later changes are written at once. */
  close(): Promise<void>
  /** Change the status with its reason: a `state` key event when it really changes. */
  transition(
    id: number,
    to: KeyStatus,
    reason: Explanation,
    patch?: UpstreamKeyPatch,
  ): UpstreamKeyRow
  record(event: KeyEvent): void
  /** Stored in one transaction, then in memory; resolves to the rows stored (duplicates skipped). */
  insert(rows: NewUpstreamKeyRow[]): Promise<UpstreamKeyRow[]>
  /** Deleted in one transaction, then from memory; resolves to the ids that existed. */
  remove(ids: readonly number[]): Promise<number[]>
  /**
   * Cluster mode: read every row again (other instances changed keys: added, deleted, their
   * state from traffic, bindings). This instance's writes not yet made stay on top (newer).
   * Listeners are told.
   */
  reload(): Promise<void>
  /** Write what is queued now (before telling other instances). */
  flush(): Promise<void>
  /**
   * Keys this pool changed (states, bindings, fields; not usage counters), added or deleted
   * since the last call: what other instances must read again (cluster mode).
   */
  takeLocalChanges(): number[]
  onChange(listener: PoolChangeListener): () => void
  /** Tell listeners; called once per operation, after its last write. */
  changed(): void
}

/**
 * Longest delay before usage counters reach the database. A success would otherwise cost one
 * database write per proxied request; a crash loses at most this much of the counts, never a state.
 */
export const COUNTER_FLUSH_MS = 1000

/** Bounds of the key-row write-behind: one pending patch per key, coalesced. */
const KEY_WRITES = { maxBatch: 500, maxQueued: 1_000_000 } as const

/** Bounds of the key-event write-behind: appended in order, written at once. */
const EVENT_WRITES = { maxBatch: 500, maxQueued: 100_000 } as const

/** Before the dispatch plugin tells the pool which keys its lanes use. */
export const NO_KEYS_IN_USE: KeysInUse = {
  has: () => false,
  all: () => [],
  primary: () => null,
}

const ADDED = { type: 'added', explanation: { code: 'added_by_admin', params: {} } } as const
const REMOVED = { type: 'removed', explanation: { code: 'deleted_by_admin', params: {} } } as const

export interface KeyStoreDeps {
  storage: KeyPoolStorage
  rows: readonly UpstreamKeyRow[]
  clock: Clock
  log?: KeyPoolLog | undefined
}

/**
 * A row's write. `patch` is the caller's own object until the queue merges into a copy of it;
 * `updatedAt` rides beside it, so that a counter bump copies nothing (bench/README.md "Fourth
 * pass": the spread that added it was the costliest line of a proxied request's key work).
 * `fenced` (cluster mode): the key's binding to a lane, written only under the lane's lease.
 */
interface KeyWrite extends FencedRowWrite<UpstreamKeyPatch, LaneFence> {
  updatedAt: number
}

/** What a write sets on the row, both parts: its fields and the time of the change. */
const fieldsOf = (write: KeyWrite): UpstreamKeyPatch => ({
  ...write.patch,
  ...write.fenced?.patch,
  updatedAt: write.updatedAt,
})

function fold(own: KeyWrite, newer: KeyWrite): void {
  foldRowWrite(own, newer)
  own.updatedAt = newer.updatedAt
}

export function createKeyStore({ storage, rows, clock, log }: KeyStoreDeps): KeyStore {
  const now = clock.now
  const keys = new Map(rows.map((row) => [row.id, row]))
  const fingerprints = new Set(rows.map((row) => row.fingerprint))
  const listeners = new Set<PoolChangeListener>()
  const locallyChanged = new Set<number>()
  // Rows have a key-sized patch queued at most: counter bumps merge into it until it is written.
  const writes = createWriteBehind<KeyWrite>({
    // One statement per row (two with a binding); the rows of a batch are distinct (coalesced), so
    // order among them does not matter and PostgreSQL may run them on several connections at once.
    async write(batch) {
      await Promise.all(
        batch.map(async (write) => {
          const { id, fenced, updatedAt } = write
          if (fenced === undefined) return storage.upstreamKeys.update(id, fieldsOf(write))
          // Two statements on distinct fields, so their order does not matter.
          if (hasFields(write.patch)) {
            await storage.upstreamKeys.update(id, { ...write.patch, updatedAt })
          }
          // Refused: the lane is another instance's now, and so is the binding of its keys.
          await storage.upstreamKeys.updateFenced(id, { ...fenced.patch, updatedAt }, fenced.fence)
        }),
      )
    },
    clock,
    flushIntervalMs: COUNTER_FLUSH_MS,
    ...KEY_WRITES,
    coalesce: coalesceRowWrites(fold),
    onError: (error, items) =>
      log?.warn({ err: error, keys: items }, 'key write failed; will retry'),
    // Cluster mode told the others when the failed flush settled: they read the row without it.
    onWrittenAfterFailure(landed) {
      for (const { id } of landed) locallyChanged.add(id)
      store.changed()
    },
  })
  const events = createWriteBehind<NewKeyEventRow>({
    write: (batch) => storage.keyEvents.appendMany(batch),
    clock,
    flushIntervalMs: COUNTER_FLUSH_MS,
    ...EVENT_WRITES,
    onError: (error, items) =>
      log?.warn({ err: error, events: items }, 'key event write failed; will retry'),
  })

  const store: KeyStore = {
    get: (id) => keys.get(id),
    require(id) {
      const row = keys.get(id)
      if (!row) throw new KeyNotFound(id)
      return row
    },
    values: () => keys.values(),
    get size() {
      return keys.size
    },
    hasFingerprint: (fingerprint) => fingerprints.has(fingerprint),
    inUse: NO_KEYS_IN_USE,
    patch(id, patch, fence) {
      const row = store.require(id)
      locallyChanged.add(id)
      const updatedAt = now()
      Object.assign(row, patch)
      row.updatedAt = updatedAt
      writes.addNow(
        fence === undefined
          ? { id, patch, updatedAt }
          : { id, patch: {}, updatedAt, fenced: { patch, fence } },
      )
      return row
    },
    touch(id, patch) {
      const row = store.require(id)
      const updatedAt = now()
      Object.assign(row, patch)
      row.updatedAt = updatedAt
      writes.add({ id, patch, updatedAt })
      return row
    },
    learn(id, patch) {
      locallyChanged.add(id)
      return store.touch(id, patch)
    },
    async close() {
      await Promise.all([writes.close(), events.close()])
    },
    transition(id, to, reason, patch = {}) {
      const from = store.require(id).status
      // A cooldown belongs to `cooling` and `error` only; other states never keep a stale one.
      const cooldown = to === 'cooling' || to === 'error' ? {} : { cooldownUntil: null }
      const row = store.patch(id, { ...patch, ...cooldown, status: to })
      if (from !== to) {
        store.record({
          keyId: id,
          type: 'state',
          fromStatus: from,
          toStatus: to,
          explanation: reason,
        })
        log?.info({ keyId: id, from, to, reason: reason.code }, 'upstream key state changed')
      }
      return row
    },
    record(event) {
      const { explanation: given, ...fields } = event
      const explanation = safeExplanation(given)
      events.addNow({ ...fields, reason: reasonText(explanation), explanation, time: now() })
    },
    async insert(newRows) {
      const inserted = await storage.upstreamKeys.insertMany(newRows)
      for (const row of inserted) {
        keys.set(row.id, row)
        fingerprints.add(row.fingerprint)
        locallyChanged.add(row.id)
      }
      const time = now()
      const added = { ...ADDED, reason: reasonText(ADDED.explanation), time }
      for (const row of inserted) events.add({ ...added, keyId: row.id })
      await events.flush()
      return inserted
    },
    async remove(ids) {
      const asked = [...new Set(ids)].filter((id) => keys.has(id))
      if (asked.length === 0) return asked
      await storage.upstreamKeys.remove(asked)
      // A concurrent remove of the same key got there first: it answers and records it, once.
      const present = asked.filter((id) => keys.has(id))
      for (const id of present) locallyChanged.add(id)
      // After the delete: a patch queued while it ran would otherwise update nothing, harmlessly,
      // but keep the queue holding a row that is gone.
      for (const id of present) writes.discard(id)
      for (const id of present) {
        const row = keys.get(id)
        if (row) fingerprints.delete(row.fingerprint)
        keys.delete(id)
      }
      const time = now()
      const removed = { ...REMOVED, reason: reasonText(REMOVED.explanation), time }
      for (const id of present) events.add({ ...removed, keyId: id })
      await events.flush()
      return present
    },
    async reload() {
      const rows = await storage.upstreamKeys.all()
      const present = new Set<number>()
      for (const row of rows) {
        present.add(row.id)
        const unwritten = writes.unwritten(row.id)
        const mine = unwritten === undefined ? {} : fieldsOf(unwritten)
        const held = keys.get(row.id)
        if (held === undefined) {
          keys.set(row.id, { ...row, ...mine })
          fingerprints.add(row.fingerprint)
        } else {
          if (held.fingerprint !== row.fingerprint) fingerprints.delete(held.fingerprint)
          Object.assign(held, row, mine)
          fingerprints.add(row.fingerprint)
        }
      }
      for (const [id, row] of keys) {
        if (present.has(id)) continue
        writes.discard(id)
        fingerprints.delete(row.fingerprint)
        keys.delete(id)
      }
      store.changed()
    },
    async flush() {
      await Promise.all([writes.flush(), events.flush()])
    },
    takeLocalChanges() {
      const ids = [...locallyChanged]
      locallyChanged.clear()
      return ids
    },
    onChange(listener) {
      // A wrapper per subscription, so the same function subscribed twice unsubscribes separately.
      const entry = () => listener()
      listeners.add(entry)
      return () => {
        listeners.delete(entry)
      }
    },
    changed() {
      for (const listener of listeners) {
        try {
          listener()
        } catch (error) {
          // A listener's failure must not undo or interrupt the change it was told about.
          log?.warn({ err: error }, 'key pool change listener failed')
        }
      }
    },
  }
  return store
}
