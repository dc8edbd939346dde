import type { Clock } from './clock.js'

/**
 * Merging of queued items that write the same row: a row's later patch is merged into the one
 * already queued (same place in the queue, newer fields win), so a busy row costs one write per
 * flush however often it changes.
 */
export interface Coalescing<T> {
  keyOf(item: T): unknown
  /** A new item: `older` and `newer` are not changed (either may be seen elsewhere). */
  merge(older: T, newer: T): T
  /**
   * Optional: fold `newer` into `own` in place, where `own` is an item `merge` made and only the
   * queue has seen. A busy row then costs one `merge` per write and an in-place fold per change
   * after it, instead of a new item (and the copies of its fields) per change: the key and
   * egress rows change on every proxied request (bench/README.md "Fourth pass").
   */
  mergeInto?(own: T, newer: T): void
}

export interface WriteBehindOptions<T> {
  /**
   * Writes one batch, in queue order. A throw or a rejection keeps the batch queued, in front of
   * what came after it, for the next attempt. A synchronous writer is called synchronously:
   * `flush()` has written everything by the time it returns. An asynchronous one (the `Storage`
   * of either dialect) has one write under way at a time: an `addNow` made while one runs is
   * written when it settles, a few microtasks later; await `flush()` to know it is written.
   */
  write(batch: T[]): void | Promise<void>
  clock: Clock
  /** Longest an item waits before its write starts (the timer starts at the first item queued). */
  flushIntervalMs: number
  /**
   * Items per write. Once a full batch waits, the queue is written at the next turn of the event
   * loop, a batch per turn until it is empty.
   */
  maxBatch: number
  /** Bound of the queue while writes fail or lag behind; beyond it the oldest items are dropped. */
  maxQueued: number
  /** Without it every item is kept (an append-only log). */
  coalesce?: Coalescing<T>
  /** A write that failed; its items stay queued (called once per failed attempt). */
  onError?(error: unknown, items: number): void
  /**
   * Items written whose row had a failed attempt since its last write (coalescing only): a
   * reader told of a change when a flush settled, written or not (cluster mode tells the other
   * instances then), read the row without it, and is to be told again now that it is there.
   */
  onWrittenAfterFailure?(items: T[]): void
}

/** One batch written: how many items, and how long the write took. */
export interface WriteBehindFlush {
  items: number
  durationMs: number
}

/**
 * Writes kept in memory and sent to the database in batches, off the request path: the key
 * store's row changes, each lane's switch-guard memory, the request log and client-key usage.
 * docs/behaviour.md §7 says what each may lose in a crash (at most one flush interval).
 */
export interface WriteBehind<T> {
  /** Queue an item; it is written within the flush interval. */
  add(item: T): void
  /** Queue an item and write the queue now (a state change no reader should miss). */
  addNow(item: T): void
  /** Forget a queued item (its row is gone). Only with coalescing. */
  discard(key: unknown): void
  /** The item queued under `key`, merged so far (coalescing only). */
  queued(key: unknown): T | undefined
  /**
   * What is not in the database yet for `key`: the item being written (its write not settled)
   * merged with the one queued since (coalescing only). A reader of the rows (cluster mode's
   * reload) puts it back on top of what it read.
   */
  unwritten(key: unknown): T | undefined
  /**
   * Write what is queued now, batch after batch without yielding, after any write under way.
   * Resolves when those are written or a write failed (the items stay queued; the timer
   * retries). Items queued meanwhile keep their interval: under steady load an asynchronous
   * writer would otherwise keep the flush going for as long as the load lasts.
   */
  flush(): Promise<void>
  /**
   * Write the items queued so far, one batch per turn of the event loop, so that requests
   * arriving meanwhile wait for one small write at most (readers of what was written).
   */
  catchUp(): Promise<void>
  /** Items queued and not written yet. */
  pending(): number
  /** Items dropped because the queue outgrew `maxQueued`. */
  dropped(): number
  /** Subscribe to each batch written; returns the unsubscribe. A throwing listener is ignored. */
  onFlush(listener: (flush: WriteBehindFlush) => void): () => void
  /** Shutdown: stop the timer and write what is queued (once; later adds write at once). */
  close(): Promise<void>
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

export function createWriteBehind<T>(options: WriteBehindOptions<T>): WriteBehind<T> {
  const { write, clock, flushIntervalMs, maxBatch, maxQueued, coalesce, onError } = options
  // A Map keeps insertion order: queue order. Append-only logs key items by a sequence number.
  const queue = new Map<unknown, T>()
  // Items `merge` made that no one else has seen yet: `mergeInto` may change them in place.
  const ownItems = new WeakSet<object>()
  let sequence = 0
  let droppedItems = 0
  let cancelTimer: (() => void) | null = null
  let drainScheduled = false
  /** The write under way; writes never overlap, so a row's patches land in order. */
  let writing: Promise<boolean> | null = null
  /** The items of the write under way, by key (coalescing only). */
  let writingItems: Map<unknown, T> | null = null
  let closed = false
  // Rows whose write failed and has not landed since (coalescing only, for `onWrittenAfterFailure`).
  const failedKeys = new Set<unknown>()
  const flushListeners = new Set<(flush: WriteBehindFlush) => void>()

  function enqueue(item: T): void {
    if (coalesce === undefined) {
      queue.set(sequence++, item)
    } else {
      const key = coalesce.keyOf(item)
      const older = queue.get(key)
      if (older === undefined) queue.set(key, item)
      else if (coalesce.mergeInto !== undefined && ownItems.has(older as object)) {
        coalesce.mergeInto(older, item)
      } else {
        const merged = coalesce.merge(older, item)
        if (coalesce.mergeInto !== undefined) ownItems.add(merged as object)
        queue.set(key, merged)
      }
    }
    if (queue.size > maxQueued) {
      const excess = queue.size - maxQueued
      const oldest = queue.keys()
      for (let i = 0; i < excess; i++) queue.delete(oldest.next().value)
      droppedItems += excess
    }
  }

  /** An item handed to a reader, who may keep it: never changed in place from now on. */
  function shown(item: T | undefined): T | undefined {
    if (item !== undefined) ownItems.delete(item as object)
    return item
  }

  function report(done: WriteBehindFlush): void {
    for (const listener of flushListeners) {
      try {
        listener(done)
      } catch {
        // An observer (metrics) must never stop or fail the writer.
      }
    }
  }

  function failed(error: unknown, batch: [unknown, T][]): false {
    if (coalesce !== undefined) for (const [key] of batch) failedKeys.add(key)
    // Back in front of the queue, in order, merged under anything queued for the same row since.
    const newer = [...queue]
    queue.clear()
    for (const [key, item] of batch) queue.set(key, item)
    for (const [key, item] of newer) {
      const older = coalesce === undefined ? undefined : queue.get(key)
      queue.set(
        key,
        older === undefined || coalesce === undefined ? item : coalesce.merge(older, item),
      )
    }
    onError?.(error, batch.length)
    armTimer()
    return false
  }

  function landedAfterFailure(batch: [unknown, T][]): void {
    const landed: T[] = []
    for (const [key, item] of batch) if (failedKeys.delete(key)) landed.push(item)
    if (landed.length === 0 || options.onWrittenAfterFailure === undefined) return
    try {
      options.onWrittenAfterFailure(landed)
    } catch {
      // A listener's failure must not fail a write that landed (it would be written twice).
    }
  }

  /** How many items `writeBatch(limit)` takes off the queue now. */
  const batchSize = (limit: number) => Math.min(limit, maxBatch, queue.size)

  /**
   * Takes up to `limit` items off the queue and writes them. Returns true when written,
   * synchronously for a synchronous writer, else a promise of it.
   */
  function writeBatch(limit: number): boolean | Promise<boolean> {
    const batch: [unknown, T][] = []
    for (const entry of queue) {
      if (batch.length >= Math.min(limit, maxBatch)) break
      batch.push(entry)
    }
    for (const [key, item] of batch) {
      queue.delete(key)
      // The writer sees it now (and a failed batch comes back): never changed in place again.
      ownItems.delete(item as object)
    }
    const startedAt = performance.now()
    const written = () => {
      report({ items: batch.length, durationMs: performance.now() - startedAt })
      if (failedKeys.size > 0) landedAfterFailure(batch)
      return true
    }
    let result: void | Promise<void>
    try {
      result = write(batch.map(([, item]) => item))
    } catch (error) {
      return failed(error, batch)
    }
    if (!(result instanceof Promise)) return written()
    const items = coalesce === undefined ? null : new Map(batch)
    writingItems = items
    const settled = result.then(written, (error: unknown) => failed(error, batch))
    // Compared with the promise `writing` holds, so a finished write always clears it.
    const tracked: Promise<boolean> = settled.finally(() => {
      if (writing === tracked) writing = null
      if (writingItems === items) writingItems = null
    })
    writing = tracked
    return tracked
  }

  /**
   * Writes until `owed` items are written or a write fails; yields between batches if asked.
   * Any write under way is waited for first, whoever started it: it may hold items queued before
   * this call (another flush took them), and writes never overlap.
   */
  async function writeOwed(owed: number, yieldBetween: boolean): Promise<void> {
    for (;;) {
      if (writing !== null) {
        if (!(await writing)) return
        continue
      }
      if (owed <= 0 || queue.size === 0) return
      // What the batch takes; items queued while it is written are not owed.
      const taken = batchSize(owed)
      let ok = writeBatch(owed)
      if (ok instanceof Promise) ok = await ok
      if (!ok) return
      owed -= taken
      if (yieldBetween && owed > 0) await nextTurn()
    }
  }

  /**
   * What is queued, now: synchronously with a synchronous writer; with an asynchronous one the
   * first batch starts at once and the rest follow as each write settles (the promise tells when).
   */
  function flushNow(): Promise<void> {
    if (cancelTimer !== null) {
      cancelTimer()
      cancelTimer = null
    }
    // Not what traffic adds meanwhile: under steady load an asynchronous writer would otherwise
    // never catch up, and the flush (an admin answer waits for one) never end.
    let owed = queue.size
    while (writing === null && owed > 0 && queue.size > 0) {
      const taken = batchSize(owed)
      const ok = writeBatch(owed)
      if (ok === false) return Promise.resolve()
      owed -= taken
      if (ok instanceof Promise) break
    }
    if (writing === null && (owed <= 0 || queue.size === 0)) {
      armForRest()
      return Promise.resolve()
    }
    return writeOwed(owed, false).finally(armForRest)
  }

  /** Items queued after a flush began keep their interval (the flush stopped the timer). */
  function armForRest(): void {
    if (queue.size > 0) armTimer()
  }

  function drain(): void {
    drainScheduled = false
    if (queue.size === 0) return
    // Another flush is writing: look again after the interval rather than overlap it.
    if (writing !== null) {
      armTimer()
      return
    }
    const ok = writeBatch(maxBatch)
    // A drain, once started, runs a batch per turn until the queue is empty.
    const more = () => {
      if (queue.size > 0) scheduleDrain()
    }
    if (ok instanceof Promise) void ok.then((done) => done && more())
    else if (ok) more()
  }

  function scheduleDrain(): void {
    if (drainScheduled) return
    drainScheduled = true
    setImmediate(drain)
  }

  function armTimer(): void {
    if (cancelTimer !== null || closed) return
    cancelTimer = clock.setTimer(() => {
      cancelTimer = null
      drain()
    }, flushIntervalMs)
  }

  return {
    add(item) {
      enqueue(item)
      if (closed) void flushNow()
      else if (queue.size >= maxBatch) scheduleDrain()
      else armTimer()
    },
    addNow(item) {
      enqueue(item)
      void flushNow()
    },
    discard(key) {
      queue.delete(key)
      failedKeys.delete(key)
    },
    queued: (key) => (coalesce === undefined ? undefined : shown(queue.get(key))),
    unwritten(key) {
      if (coalesce === undefined) return undefined
      const inWrite = writingItems?.get(key)
      const queued = queue.get(key)
      if (inWrite === undefined) return shown(queued)
      return queued === undefined ? inWrite : coalesce.merge(inWrite, queued)
    },
    flush: flushNow,
    // Items queued later, or dropped from the front meanwhile, are not waited for.
    catchUp: () => writeOwed(queue.size, true),
    pending: () => queue.size,
    dropped: () => droppedItems,
    onFlush(listener) {
      // A wrapper per subscription: the same function subscribed twice unsubscribes separately.
      const entry = (flush: WriteBehindFlush) => listener(flush)
      flushListeners.add(entry)
      return () => {
        flushListeners.delete(entry)
      }
    },
    async close() {
      closed = true
      await flushNow()
    },
  }
}
