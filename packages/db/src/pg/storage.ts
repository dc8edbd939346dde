import { STATS_BUCKETS } from '@sfp/schemas'
import { and, asc, desc, eq, type SQL, sql } from 'drizzle-orm'
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core'
import type { EgressPatch } from '../egresses-repository.js'
import { logsWhere, parseSetting, statsScope } from '../query-parts.js'
import type {
  NewKeyEventRow,
  NewRequestLogRow,
  NewUpstreamKeyRow,
  UpstreamKeyRow,
} from '../schema.js'
import type { SettingName } from '../settings-store.js'
import type {
  ClientKeysStorage,
  EgressesStorage,
  KeyEventsStorage,
  NotificationTargetsStorage,
  RequestLogStorage,
  SettingsStorage,
  Storage,
  UpstreamKeysStorage,
} from '../storage.js'
import type { UpstreamKeyPatch } from '../upstream-keys-repository.js'
import { createBulkInsert, createBulkInsertSkippingConflicts } from './bulk-insert.js'
import type { PgDb, PostgresHandle } from './database.js'
import { fenceCondition } from './lane-fence.js'
import { createPgPatchWriter } from './patch-writer.js'
import { namedStatement } from './raw-statements.js'
import {
  clientKeys,
  egresses,
  keyEvents,
  notificationTargets,
  requestLogs,
  settings,
  upstreamKeys,
} from './schema.js'

/**
 * `Storage` on PostgreSQL (cluster mode, docs/behaviour.md §9), with the semantics of the SQLite
 * repositories method for method (`test/storage/` runs one suite against both). Reads and admin
 * writes go through drizzle's query builder; the writes made at request rate or in bulk are raw
 * named statements through the pool (`raw-statements.ts`): one UPDATE of the patch's columns,
 * one `unnest` INSERT per batch, one `UPDATE ... FROM unnest` for many rows. A method that is one
 * transaction in SQLite is one statement here (atomic by itself), or a drizzle transaction.
 */
export function postgresStorage(handle: PostgresHandle): Storage {
  return {
    upstreamKeys: upstreamKeysStorage(handle),
    egresses: egressesStorage(handle),
    clientKeys: clientKeysStorage(handle),
    requestLogs: requestLogStorage(handle),
    keyEvents: keyEventsStorage(handle),
    settings: settingsStorage(handle),
    notificationTargets: notificationTargetsStorage(handle),
  }
}

function upstreamKeysStorage({ db, pool }: PostgresHandle): UpstreamKeysStorage {
  const insertSkippingConflicts = createBulkInsertSkippingConflicts<
    NewUpstreamKeyRow,
    UpstreamKeyRow
  >(pool, upstreamKeys)
  const writePatch = createPgPatchWriter<UpstreamKeyPatch>(pool, upstreamKeys)
  const removeKeys = namedStatement(pool, 'DELETE FROM upstream_keys WHERE id = ANY($1::integer[])')
  // $1 key, $2 lane, $3 now, $4 now - window, then the lane's fence ($2, $5, $6).
  const claimKey = namedStatement(
    pool,
    `UPDATE upstream_keys AS k SET egress_id = $2, egress_used_at = GREATEST($3, COALESCE(k.egress_used_at, 0))
     WHERE k.id = $1 AND ${fenceCondition('$2', '$5', '$6')} AND (
       k.egress_id = $2 OR (
         (k.egress_used_at IS NULL OR k.egress_used_at <= $4)
         AND NOT EXISTS (SELECT 1 FROM egresses AS e WHERE e.id = k.egress_id
           AND e.guard_key_id = k.id AND e.guard_used_at > $4)))`,
  )
  const replaceSecrets = namedStatement(
    pool,
    `UPDATE upstream_keys AS k SET secret = v.secret, fingerprint = v.fingerprint
     FROM unnest($1::integer[], $2::text[], $3::text[]) AS v (id, secret, fingerprint)
     WHERE k.id = v.id`,
  )
  return {
    all: async () => db.select().from(upstreamKeys).orderBy(asc(upstreamKeys.id)),
    insertMany: (rows) => insertSkippingConflicts(rows),
    async update(id, patch) {
      await writePatch(id, patch)
    },
    updateFenced: (id, patch, fence) => writePatch(id, patch, fence),
    async claim(id, egressId, now, windowMs, fence) {
      const claimed = await claimKey([
        id,
        egressId,
        now,
        now - windowMs,
        fence.instanceId,
        fence.token,
      ])
      return claimed > 0
    },
    async remove(ids) {
      if (ids.length === 0) return 0
      return removeKeys([ids])
    },
    async replaceSecrets(rows) {
      if (rows.length === 0) return
      await replaceSecrets([
        rows.map((r) => r.id),
        rows.map((r) => r.secret),
        rows.map((r) => r.fingerprint),
      ])
    },
  }
}

function egressesStorage({ db, pool }: PostgresHandle): EgressesStorage {
  const writePatch = createPgPatchWriter<EgressPatch>(pool, egresses)
  const replacePasswords = namedStatement(
    pool,
    `UPDATE egresses AS e SET password = v.password
     FROM unnest($1::integer[], $2::text[]) AS v (id, password) WHERE e.id = v.id`,
  )
  return {
    all: async () => db.select().from(egresses).orderBy(asc(egresses.id)),
    async insert(row) {
      const [inserted] = await db.insert(egresses).values(row).onConflictDoNothing().returning()
      return inserted
    },
    async update(id, patch) {
      await writePatch(id, patch)
    },
    updateFenced: (id, patch, fence) => writePatch(id, patch, { egressId: id, ...fence }),
    remove: (id) =>
      db.transaction(async (tx) => {
        await tx.update(upstreamKeys).set({ egressId: null }).where(eq(upstreamKeys.egressId, id))
        const deleted = await tx
          .delete(egresses)
          .where(eq(egresses.id, id))
          .returning({ id: egresses.id })
        return deleted.length > 0
      }),
    async replacePasswords(rows) {
      if (rows.length === 0) return
      await replacePasswords([rows.map((r) => r.id), rows.map((r) => r.password)])
    },
  }
}

function clientKeysStorage({ db, pool }: PostgresHandle): ClientKeysStorage {
  // Each row read and written by the database in one statement: concurrent flushes add up. The
  // day and month counters start again in a later period and ignore a late write of an earlier one.
  const periodCounter = (period: 'day' | 'month', column: string) =>
    `CASE WHEN v.${period} IS NULL THEN c.${column}
       WHEN c.usage_${period} = v.${period} THEN c.${column} + v.${column}
       WHEN c.usage_${period} IS NULL OR c.usage_${period} COLLATE "C" < v.${period} THEN v.${column}
       ELSE c.${column} END`
  const latest = (period: 'day' | 'month') =>
    `CASE WHEN v.${period} IS NULL THEN c.usage_${period}
       ELSE greatest(coalesce(c.usage_${period}, '') COLLATE "C", v.${period}) END`
  const recordUsage = namedStatement(
    pool,
    `UPDATE client_keys AS c SET request_count = c.request_count + v.requests,
       last_used_at = greatest(coalesce(c.last_used_at, 0), v.last_used_at),
       day_requests = ${periodCounter('day', 'day_requests')},
       day_tokens = ${periodCounter('day', 'day_tokens')},
       usage_day = ${latest('day')},
       month_spend_cny = ${periodCounter('month', 'month_spend_cny')},
       usage_month = ${latest('month')}
     FROM unnest($1::integer[], $2::bigint[], $3::bigint[], $4::text[], $5::integer[], $6::bigint[],
       $7::text[], $8::double precision[])
       AS v (id, requests, last_used_at, day, day_requests, day_tokens, month, month_spend_cny)
     WHERE c.id = v.id`,
  )
  return {
    all: async () => db.select().from(clientKeys).orderBy(asc(clientKeys.id)),
    async findByHash(keyHash) {
      const [row] = await db.select().from(clientKeys).where(eq(clientKeys.keyHash, keyHash))
      return row
    },
    ...rowsById(db, clientKeys, 'client key'),
    async recordUsage(usage) {
      if (usage.size === 0) return
      const ids: number[] = []
      const requests: number[] = []
      const lastUsedAts: number[] = []
      const days: (string | null)[] = []
      const dayRequests: number[] = []
      const dayTokens: number[] = []
      const months: (string | null)[] = []
      const monthSpends: number[] = []
      for (const [id, used] of usage) {
        ids.push(id)
        requests.push(used.requests)
        lastUsedAts.push(used.lastUsedAt)
        days.push(used.day?.date ?? null)
        dayRequests.push(used.day?.requests ?? 0)
        dayTokens.push(used.day?.tokens ?? 0)
        months.push(used.month?.month ?? null)
        monthSpends.push(used.month?.spendCny ?? 0)
      }
      await recordUsage([
        ids,
        requests,
        lastUsedAts,
        days,
        dayRequests,
        dayTokens,
        months,
        monthSpends,
      ])
    },
  }
}

/** Counts and sums of integers are `bigint` or `numeric`, which pg sends as text. */
const bigNumber = (expression: SQL) => expression.mapWith(Number)

const sumOrZero = (column: PgColumn) => bigNumber(sql`coalesce(sum(${column}), 0)`)

/**
 * Taken over double precision, SQLite's arithmetic, so that both give the same float;
 * PostgreSQL's `numeric` average rounds differently. Null when no row has a value.
 */
const average = (column: PgColumn) => sql<number | null>`avg(${column}::double precision)`

function requestLogStorage({ db, pool }: PostgresHandle): RequestLogStorage {
  const insertBatch = createBulkInsert<NewRequestLogRow>(pool, requestLogs)
  const deleteChunk = namedStatement(
    pool,
    'DELETE FROM request_logs WHERE id IN (SELECT id FROM request_logs WHERE time < $1 LIMIT $2)',
  )
  return {
    insertBatch: (rows) => insertBatch(rows),
    async list(query) {
      const where = logsWhere(requestLogs, query)
      const rows = await db
        .select()
        .from(requestLogs)
        .where(and(...where))
        .orderBy(desc(requestLogs.id))
        .limit(query.limit + 1)
      const hasMore = rows.length > query.limit
      const items = hasMore ? rows.slice(0, query.limit) : rows
      const last = items.at(-1)
      return { items, nextCursor: hasMore && last ? String(last.id) : null }
    },
    async stats(filter) {
      const { bucket } = filter
      // Inlined, not bound, as in SQLite: a bound width would be a new parameter at each of its
      // uses, and PostgreSQL would not see the grouped expression in the selected one.
      // `bigint / integer` divides as integers, as SQLite does.
      const width = sql.raw(String(Math.trunc(STATS_BUCKETS[bucket] * 1000)))
      const start = sql`(${requestLogs.time} / ${width}) * ${width}`
      const { where, groupColumn } = statsScope(requestLogs, filter)
      return (
        db
          .select({
            start: start.mapWith(Number),
            groupId: sql<number | null>`${groupColumn ?? sql`NULL`}`,
            requests: bigNumber(sql`count(*)`),
            errors: bigNumber(sql`sum(CASE WHEN ${requestLogs.status} >= 400 THEN 1 ELSE 0 END)`),
            promptTokens: sumOrZero(requestLogs.promptTokens),
            completionTokens: sumOrZero(requestLogs.completionTokens),
            totalTokens: sumOrZero(requestLogs.totalTokens),
            avgLatencyMs: average(requestLogs.durationMs),
            maxLatencyMs: sql<number | null>`max(${requestLogs.durationMs})`,
            avgTtfbMs: average(requestLogs.ttfbMs),
            // double precision: read as a JS number, null when no row was priced.
            cost: sql<number | null>`sum(${requestLogs.cost})`,
          })
          .from(requestLogs)
          .where(and(...where))
          .groupBy(...(groupColumn ? [start, groupColumn] : [start]))
          // SQLite's grouping sorts by the grouped columns; PostgreSQL's may hash: say the order.
          .orderBy(...(groupColumn ? [start, sql`${groupColumn} NULLS FIRST`] : [start]))
      )
    },
    deleteOlderThan: (time, limit = 5000) => deleteChunk([time, limit]),
  }
}

function keyEventsStorage({ db, pool }: PostgresHandle): KeyEventsStorage {
  const insertAll = createBulkInsert<NewKeyEventRow>(pool, keyEvents)
  return {
    append: (event) => insertAll([event]),
    appendMany: (events) => insertAll(events),
    async list({ keyId, limit }) {
      const where: SQL[] = []
      if (keyId !== undefined) where.push(eq(keyEvents.keyId, keyId))
      return db
        .select()
        .from(keyEvents)
        .where(and(...where))
        .orderBy(desc(keyEvents.id))
        .limit(limit)
    },
  }
}

function settingsStorage({ db }: PostgresHandle): SettingsStorage {
  const storage: SettingsStorage = {
    async get(name) {
      const [row] = await db
        .select({ value: settings.value })
        .from(settings)
        .where(eq(settings.name, name))
      return row?.value
    },
    async set(name, value, now = Date.now()) {
      await db
        .insert(settings)
        .values({ name, value, updatedAt: now })
        .onConflictDoUpdate({ target: settings.name, set: { value, updatedAt: now } })
    },
    async delete(name) {
      await db.delete(settings).where(eq(settings.name, name))
    },
    getJson: async <T>(name: SettingName) => parseSetting<T>(await storage.get(name)),
    setJson: (name, value, now) => storage.set(name, JSON.stringify(value), now),
  }
  return storage
}

function notificationTargetsStorage({ db }: PostgresHandle): NotificationTargetsStorage {
  return {
    all: async () => db.select().from(notificationTargets).orderBy(asc(notificationTargets.id)),
    ...rowsById(db, notificationTargets, 'notification target'),
  }
}

/**
 * Insert, update and remove by `id`, each resolving as the storage interfaces say: the row as
 * stored, the row after the change (undefined for an unknown id), whether the row existed.
 */
function rowsById<T extends PgTable & { id: PgColumn }>(db: PgDb, table: T, noun: string) {
  type Row = T['$inferSelect']
  return {
    async insert(row: T['$inferInsert']): Promise<Row> {
      const [inserted] = (await db.insert(table).values(row).returning()) as Row[]
      if (inserted === undefined) throw new Error(`${noun} not inserted`)
      return inserted
    },
    async update(id: number, patch: Partial<T['$inferInsert']>): Promise<Row | undefined> {
      const [updated] = (await db
        .update(table)
        .set(patch)
        .where(eq(table.id, id))
        .returning()) as Row[]
      return updated
    },
    async remove(id: number): Promise<boolean> {
      const deleted = await db.delete(table).where(eq(table.id, id)).returning({ id: table.id })
      return deleted.length > 0
    },
  }
}
