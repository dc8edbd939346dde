import type { NewRequestLogRow } from '@sfp/db'
import fp from 'fastify-plugin'

/**
 * The request log (docs/behaviour.md §7): rows are queued in memory on the request path and written
 * in batches, one transaction each, from a timer. Old rows are deleted in small chunks.
 */
export interface RequestLog {
  /** Queue a row; never blocks on the database. */
  record(row: NewRequestLogRow): void
  /** Write every queued row now, in one go (shutdown, backups, tests). */
  flush(): void
  /**
   * Write the rows queued so far, a batch per turn of the event loop (readers of the log: what
   * was answered before is in their answer, and a backlog does not stall the requests in flight).
   */
  catchUp(): Promise<void>
  /** Rows queued but not yet written. */
  pending(): number
  /** Rows dropped because the database could not keep up or failed. */
  dropped(): number
  /**
   * Subscribe to each batch written (the metrics plugin times the writes); returns the
   * unsubscribe. A listener that throws is logged, never passed on to the writer.
   */
  onFlush(listener: (flush: RequestLogFlush) => void): () => void
}

declare module 'fastify' {
  interface FastifyInstance {
    requestLog: RequestLog
  }
}

/** One batch written: how many rows, and how long its transaction took. */
export interface RequestLogFlush {
  rows: number
  durationMs: number
}

export interface RequestLogOptions {
  retentionDays: number
  now?: () => number
  flushIntervalMs?: number
  /** Rows per transaction; a full batch is written at once instead of waiting for the timer. */
  maxBatch?: number
  /** Queue bound when writes fail (disk full, locked): beyond it the oldest rows are dropped. */
  maxQueued?: number
  retentionIntervalMs?: number
}

const DAY_MS = 86_400_000

export default fp<RequestLogOptions>(
  async (app, opts) => {
    const {
      retentionDays,
      now = Date.now,
      flushIntervalMs = 1000,
      maxBatch = 100,
      maxQueued = 50_000,
      retentionIntervalMs = 3_600_000,
    } = opts
    const repository = app.database.requestLogs
    let queue: NewRequestLogRow[] = []
    let droppedRows = 0
    let flushScheduled = false
    const flushListeners = new Set<(flush: RequestLogFlush) => void>()

    /** Runs from a timer: an observer that throws must not take the process down. */
    function reportFlush(done: RequestLogFlush): void {
      for (const listener of flushListeners) {
        try {
          listener(done)
        } catch (error) {
          app.log.error({ err: error }, 'request log flush observer failed')
        }
      }
    }

    /** One transaction of at most `limit` rows; false when the database refused it. */
    function writeBatch(limit = maxBatch): boolean {
      const batch = queue.slice(0, Math.min(limit, maxBatch))
      const startedAt = performance.now()
      try {
        repository.insertBatch(batch)
      } catch (error) {
        app.log.error({ err: error, rows: batch.length }, 'request log write failed; will retry')
        return false
      }
      queue = queue.slice(batch.length)
      reportFlush({ rows: batch.length, durationMs: performance.now() - startedAt })
      return true
    }

    /** Everything queued, now (readers of the log, shutdown). */
    function flush(): void {
      while (queue.length > 0) if (!writeBatch()) return
    }

    /**
     * The background writer: one batch per turn of the event loop, so that requests arriving
     * meanwhile wait for one small transaction at most, never for the whole backlog.
     */
    function drain(): void {
      flushScheduled = false
      if (queue.length === 0 || !writeBatch()) return
      if (queue.length > 0) scheduleDrain()
    }

    function scheduleDrain(): void {
      if (flushScheduled) return
      flushScheduled = true
      setImmediate(drain)
    }

    const log: RequestLog = {
      record(row) {
        queue.push(row)
        if (queue.length > maxQueued) {
          const excess = queue.length - maxQueued
          queue = queue.slice(excess)
          droppedRows += excess
        }
        if (queue.length >= maxBatch) scheduleDrain()
      },
      flush,
      async catchUp() {
        // Rows queued later, or dropped from the front meanwhile, are not waited for.
        let owed = queue.length
        while (owed > 0 && queue.length > 0) {
          const before = queue.length
          if (!writeBatch(owed)) return
          owed -= before - queue.length
          if (owed > 0) await new Promise((resolve) => setImmediate(resolve))
        }
      },
      pending: () => queue.length,
      dropped: () => droppedRows,
      onFlush(listener) {
        // A wrapper per subscription: the same function subscribed twice unsubscribes separately.
        const entry = (flush: RequestLogFlush) => listener(flush)
        flushListeners.add(entry)
        return () => {
          flushListeners.delete(entry)
        }
      },
    }

    /** Deletes in chunks, yielding between them, so a large backlog never stalls requests. */
    async function enforceRetention(): Promise<void> {
      const cutoff = now() - retentionDays * DAY_MS
      let deleted = 0
      for (;;) {
        const chunk = repository.deleteOlderThan(cutoff)
        deleted += chunk
        if (chunk === 0) break
        await new Promise((resolve) => setImmediate(resolve))
      }
      if (deleted > 0) app.log.info({ deleted, retentionDays }, 'old request log rows deleted')
    }

    const flushTimer = setInterval(scheduleDrain, flushIntervalMs)
    flushTimer.unref()
    let retention = enforceRetention()
    const retentionTimer = setInterval(() => {
      retention = enforceRetention().catch((error: unknown) => {
        app.log.error({ err: error }, 'request log retention failed')
      })
    }, retentionIntervalMs)
    retentionTimer.unref()

    app.decorate('requestLog', log)
    app.addHook('onClose', async () => {
      clearInterval(flushTimer)
      clearInterval(retentionTimer)
      await retention
      flush()
      flushListeners.clear()
    })
  },
  { name: 'request-log', fastify: '5.x', dependencies: ['database'] },
)
