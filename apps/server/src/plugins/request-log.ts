import type { NewRequestLogRow } from '@sfp/db'
import { createWriteBehind } from '@sfp/runtime'
import fp from 'fastify-plugin'

/**
 * The request log (docs/behaviour.md §7): rows are queued in memory on the request path and written
 * behind, in batches of one transaction each. Old rows are deleted in small chunks.
 */
export interface RequestLog {
  /** Queue a row; never blocks on the database. */
  record(row: NewRequestLogRow): void
  /** Write every queued row now, in one go (tests); synchronous on SQLite. */
  flush(): Promise<void>
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
   * unsubscribe. A listener that throws is ignored, never passed on to the writer.
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
  flushIntervalMs?: number
  /** Rows per transaction; a full batch is written at once instead of waiting for the timer. */
  maxBatch?: number
  /** Queue bound when writes fail (disk full, locked): beyond it the oldest rows are dropped. */
  maxQueued?: number
  retentionIntervalMs?: number
}

const DAY_MS = 86_400_000

/**
 * Rows per transaction. A transaction costs SQLite about the same pages whatever its rows (the
 * table's and five indexes' last pages, each a WAL write), so fewer and larger ones cost less per
 * row: 500 against 100 took 2.5–4 % off the server's CPU per request and 15 % of its write
 * system calls, and a pause of the event loop comes every 500 requests instead of every 100
 * (1–2.5 ms instead of 0.5–1 on the bench's VM), so 99 % of requests meet none
 * (bench/README.md "Thirteenth pass").
 */
export const REQUEST_LOG_BATCH_ROWS = 500

export default fp<RequestLogOptions>(
  async (app, opts) => {
    const {
      retentionDays,
      flushIntervalMs = 1000,
      maxBatch = REQUEST_LOG_BATCH_ROWS,
      maxQueued = 50_000,
      retentionIntervalMs = 3_600_000,
    } = opts
    const { clock } = app
    const repository = app.database.requestLogs
    const rows = createWriteBehind<NewRequestLogRow>({
      write: (batch) => repository.insertBatch(batch),
      clock,
      flushIntervalMs,
      maxBatch,
      maxQueued,
      onError: (error, items) =>
        app.log.error({ err: error, rows: items }, 'request log write failed; will retry'),
    })

    const log: RequestLog = {
      record: rows.add,
      flush: rows.flush,
      catchUp: rows.catchUp,
      pending: rows.pending,
      dropped: rows.dropped,
      onFlush: (listener) =>
        rows.onFlush(({ items, durationMs }) => listener({ rows: items, durationMs })),
    }

    /** Deletes in chunks, yielding between them, so a large backlog never stalls requests. */
    async function enforceRetention(): Promise<void> {
      const cutoff = clock.now() - retentionDays * DAY_MS
      let deleted = 0
      for (;;) {
        const chunk = await repository.deleteOlderThan(cutoff)
        deleted += chunk
        if (chunk === 0) break
        await new Promise((resolve) => setImmediate(resolve))
      }
      if (deleted > 0) app.log.info({ deleted, retentionDays }, 'old request log rows deleted')
    }

    const retain = () =>
      enforceRetention().catch((error: unknown) => {
        app.log.error({ err: error }, 'request log retention failed')
      })
    let retention = retain()
    let cancelRetention = () => {}
    const scheduleRetention = () => {
      cancelRetention = clock.setTimer(() => {
        retention = retain().finally(scheduleRetention)
      }, retentionIntervalMs)
    }
    scheduleRetention()

    app.decorate('requestLog', log)
    app.addHook('onClose', async () => {
      cancelRetention()
      await retention
      await rows.close()
    })
  },
  { name: 'request-log', fastify: '5.x', dependencies: ['clock', 'database'] },
)
