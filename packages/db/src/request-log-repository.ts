import type { ListLogsQuery, StatsBucket } from '@sfp/schemas'
import { STATS_BUCKETS } from '@sfp/schemas'
import { and, desc, sql } from 'drizzle-orm'
import type { Db } from './database.js'
import { logsWhere, type StatsGroupBy, statsScope } from './query-parts.js'
import { type NewRequestLogRow, type RequestLogRow, requestLogs } from './schema.js'

export interface StatsRow {
  /** Bucket start, ms since the epoch. */
  start: number
  /** The upstream key, egress or client key id of the group (`groupBy`); null without grouping. */
  groupId: number | null
  requests: number
  errors: number
  promptTokens: number
  completionTokens: number
  totalTokens: number
  avgLatencyMs: number | null
  maxLatencyMs: number | null
  avgTtfbMs: number | null
  /** CNY of the bucket's priced requests; null when none was priced. */
  cost: number | null
}

export interface StatsFilter {
  from: number
  to: number
  bucket: StatsBucket
  keyId?: number | undefined
  egressId?: number | undefined
  /** One row per bucket and upstream key / egress, besides the bucket. */
  groupBy?: StatsGroupBy | undefined
}

export interface RequestLogRepository {
  /** One transaction for the whole batch. */
  insertBatch(rows: readonly NewRequestLogRow[]): void
  /** Newest first; `cursor` is the id of the last row of the previous page. */
  list(query: ListLogsQuery): { items: RequestLogRow[]; nextCursor: string | null }
  /** Buckets that have at least one request (the caller fills the gaps). */
  stats(filter: StatsFilter): StatsRow[]
  /** Delete at most `limit` rows older than `time`; returns how many went. */
  deleteOlderThan(time: number, limit?: number): number
}

/** The columns written, in `bindRow`'s order; the log is the one table written at request rate. */
const INSERT_COLUMNS = `time, request_id, client_key_id, upstream_key_id,
  egress_id, client_ip, method, path, model, stream, status, upstream_status, attempts,
  queue_wait_ms, ttfb_ms, duration_ms, prompt_tokens, completion_tokens, total_tokens, error_type,
  error_message, error_params, cost`
const COLUMN_COUNT = 23

/**
 * Rows per INSERT, largest first; a batch is cut into these sizes, in order (100 rows: 32, 32,
 * 32, 4), so six prepared statements serve every batch. 32 rows bind 736 values, under the 999
 * of SQLite builds before 3.32 (32,766 since): valid whatever SQLite better-sqlite3 brings.
 * Statements of 128 rows measured no faster (bench/README.md "Request-log batches").
 */
const ROWS_PER_INSERT = [32, 16, 8, 4, 2, 1] as const

/**
 * `OR FAIL`: a multi-row INSERT that may abort halfway makes SQLite keep a statement journal (a
 * temporary file once it outgrows 64 KiB) to undo its own rows; with FAIL it keeps them and the
 * surrounding transaction, which is rolled back on any error, undoes the batch instead. The
 * journal cost more system time than the statements saved (bench/README.md "Request-log
 * batches").
 */
const insertSql = (rows: number) =>
  `INSERT OR FAIL INTO request_logs (${INSERT_COLUMNS}) VALUES ${Array.from(
    { length: rows },
    () => `(${Array.from({ length: COLUMN_COUNT }, () => '?').join(', ')})`,
  ).join(', ')}`

/** Append a row's values to `values` in `INSERT_COLUMNS` order, defaults as the schema's. */
function bindRow(r: NewRequestLogRow, values: unknown[]): void {
  values.push(
    r.time,
    r.requestId,
    r.clientKeyId ?? null,
    r.upstreamKeyId ?? null,
    r.egressId ?? null,
    r.clientIp ?? null,
    r.method,
    r.path,
    r.model ?? null,
    r.stream ? 1 : 0,
    r.status,
    r.upstreamStatus ?? null,
    r.attempts ?? 0,
    r.queueWaitMs ?? null,
    r.ttfbMs ?? null,
    r.durationMs,
    r.promptTokens ?? null,
    r.completionTokens ?? null,
    r.totalTokens ?? null,
    r.errorType ?? null,
    r.errorMessage ?? null,
    r.errorParams == null ? null : JSON.stringify(r.errorParams),
    r.cost ?? null,
  )
}

export function createRequestLogRepository(db: Db): RequestLogRepository {
  // Raw prepared multi-row statements: a statement per row added its own execution to SQLite's
  // work for the row (the table and its five indexes), about a sixth of the insert's cost.
  const inserts = ROWS_PER_INSERT.map((rows) => ({
    rows,
    statement: db.$client.prepare(insertSql(rows)),
  }))
  const insertMany = db.$client.transaction((rows: readonly NewRequestLogRow[]) => {
    let next = 0
    for (const { rows: size, statement } of inserts) {
      while (rows.length - next >= size) {
        const values: unknown[] = []
        for (const end = next + size; next < end; next++)
          bindRow(rows[next] as NewRequestLogRow, values)
        // Spread, not an array: better-sqlite3 reads an array's values one property lookup at a
        // time, which cost more than the statements saved (bench/README.md "Request-log batches").
        statement.run(...values)
      }
    }
  })
  const deleteChunk = db.$client.prepare(
    'DELETE FROM request_logs WHERE id IN (SELECT id FROM request_logs WHERE time < ? LIMIT ?)',
  )
  return {
    insertBatch(rows) {
      if (rows.length === 0) return
      insertMany(rows)
    },
    list(query) {
      const where = logsWhere(requestLogs, query)
      const rows = db
        .select()
        .from(requestLogs)
        .where(and(...where))
        .orderBy(desc(requestLogs.id))
        .limit(query.limit + 1)
        .all()
      const hasMore = rows.length > query.limit
      const items = hasMore ? rows.slice(0, query.limit) : rows
      const last = items.at(-1)
      return { items, nextCursor: hasMore && last ? String(last.id) : null }
    },
    stats(filter) {
      const { bucket } = filter
      const bucketMs = STATS_BUCKETS[bucket] * 1000
      // Inlined, not bound: better-sqlite3 binds numbers as REAL, which would make the division
      // fractional. `bucketMs` comes from the STATS_BUCKETS table, never from the client.
      const width = sql.raw(String(Math.trunc(bucketMs)))
      const start = sql<number>`(${requestLogs.time} / ${width}) * ${width}`
      const { where, groupColumn } = statsScope(requestLogs, filter)
      return db
        .select({
          start,
          groupId: sql<number | null>`${groupColumn ?? sql`NULL`}`,
          requests: sql<number>`count(*)`,
          errors: sql<number>`sum(CASE WHEN ${requestLogs.status} >= 400 THEN 1 ELSE 0 END)`,
          promptTokens: sql<number>`coalesce(sum(${requestLogs.promptTokens}), 0)`,
          completionTokens: sql<number>`coalesce(sum(${requestLogs.completionTokens}), 0)`,
          totalTokens: sql<number>`coalesce(sum(${requestLogs.totalTokens}), 0)`,
          avgLatencyMs: sql<number | null>`avg(${requestLogs.durationMs})`,
          maxLatencyMs: sql<number | null>`max(${requestLogs.durationMs})`,
          avgTtfbMs: sql<number | null>`avg(${requestLogs.ttfbMs})`,
          cost: sql<number | null>`sum(${requestLogs.cost})`,
        })
        .from(requestLogs)
        .where(and(...where))
        .groupBy(...(groupColumn ? [start, groupColumn] : [start]))
        .orderBy(start)
        .all()
    },
    deleteOlderThan(time, limit = 5000) {
      // Bounded chunks: the caller loops, yielding to the event loop between them.
      return deleteChunk.run(time, limit).changes
    },
  }
}
