import type { ListLogsQuery, StatsBucket } from '@sfp/schemas'
import { STATS_BUCKETS } from '@sfp/schemas'
import { and, desc, eq, gte, lt, lte, type SQL, sql } from 'drizzle-orm'
import type { Db } from './database.js'
import { type NewRequestLogRow, type RequestLogRow, requestLogs } from './schema.js'

export interface StatsRow {
  /** Bucket start, ms since the epoch. */
  start: number
  keyId: number | null
  requests: number
  errors: number
  promptTokens: number
  completionTokens: number
  totalTokens: number
  avgLatencyMs: number | null
  maxLatencyMs: number | null
  avgTtfbMs: number | null
}

export interface StatsFilter {
  from: number
  to: number
  bucket: StatsBucket
  keyId?: number | undefined
  byKey?: boolean
}

export interface RequestLogRepository {
  /** One transaction for the whole batch. */
  insertBatch(rows: readonly NewRequestLogRow[]): void
  /** Newest first; `cursor` is the id of the last row of the previous page. */
  list(query: ListLogsQuery): { items: RequestLogRow[]; nextCursor: string | null }
  /** Buckets that have at least one request (the caller fills the gaps). */
  stats(filter: StatsFilter): StatsRow[]
  deleteOlderThan(time: number): number
}

function statusCondition(status: NonNullable<ListLogsQuery['status']>): SQL {
  if (typeof status === 'number') return eq(requestLogs.status, status)
  if (status === 'error') return gte(requestLogs.status, 400)
  const low = Number(status[0]) * 100
  return and(gte(requestLogs.status, low), lt(requestLogs.status, low + 100)) as SQL
}

export function createRequestLogRepository(db: Db): RequestLogRepository {
  return {
    insertBatch(rows) {
      if (rows.length === 0) return
      db.transaction((tx) => {
        for (const row of rows) tx.insert(requestLogs).values(row).run()
      })
    },
    list(query) {
      const where: SQL[] = []
      if (query.cursor !== undefined) where.push(lt(requestLogs.id, Number(query.cursor)))
      if (query.keyId !== undefined) where.push(eq(requestLogs.upstreamKeyId, query.keyId))
      if (query.status !== undefined) where.push(statusCondition(query.status))
      if (query.model !== undefined) where.push(eq(requestLogs.model, query.model))
      if (query.from !== undefined) where.push(gte(requestLogs.time, query.from))
      if (query.to !== undefined) where.push(lte(requestLogs.time, query.to))
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
    stats({ from, to, bucket, keyId, byKey = false }) {
      const bucketMs = STATS_BUCKETS[bucket] * 1000
      const start = sql<number>`(${requestLogs.time} / ${bucketMs}) * ${bucketMs}`
      const where: SQL[] = [gte(requestLogs.time, from), lte(requestLogs.time, to)]
      if (keyId !== undefined) where.push(eq(requestLogs.upstreamKeyId, keyId))
      const keyColumn = byKey ? requestLogs.upstreamKeyId : sql<null>`NULL`
      return db
        .select({
          start,
          keyId: sql<number | null>`${keyColumn}`,
          requests: sql<number>`count(*)`,
          errors: sql<number>`sum(CASE WHEN ${requestLogs.status} >= 400 THEN 1 ELSE 0 END)`,
          promptTokens: sql<number>`coalesce(sum(${requestLogs.promptTokens}), 0)`,
          completionTokens: sql<number>`coalesce(sum(${requestLogs.completionTokens}), 0)`,
          totalTokens: sql<number>`coalesce(sum(${requestLogs.totalTokens}), 0)`,
          avgLatencyMs: sql<number | null>`avg(${requestLogs.durationMs})`,
          maxLatencyMs: sql<number | null>`max(${requestLogs.durationMs})`,
          avgTtfbMs: sql<number | null>`avg(${requestLogs.ttfbMs})`,
        })
        .from(requestLogs)
        .where(and(...where))
        .groupBy(...(byKey ? [start, requestLogs.upstreamKeyId] : [start]))
        .orderBy(start)
        .all()
    },
    deleteOlderThan(time) {
      return db.delete(requestLogs).where(lt(requestLogs.time, time)).run().changes
    },
  }
}
