import { asc, eq, sql } from 'drizzle-orm'
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core'
import type { Db } from './database.js'
import { type ClientKeyRow, clientKeys } from './schema.js'

export interface ClientKeyUsage {
  requests: number
  lastUsedAt: number
  /**
   * Requests admitted and tokens used on one China Standard Time day (`date`: `YYYY-MM-DD`):
   * added to the stored day counters when the stored day is this one, replacing them when it is
   * older, ignored when it is newer (a late write of a day already over).
   */
  day?: { date: string; requests: number; tokens: number }
  /** Spend in CNY of one China Standard Time month (`YYYY-MM`), counted like `day`. */
  month?: { month: string; spendCny: number }
}

/** The fields of a client key an admin may change (docs/behaviour.md §12); the hash never. */
export type ClientKeyPatch = Partial<
  Pick<
    ClientKeyRow,
    | 'name'
    | 'models'
    | 'expiresAt'
    | 'rpm'
    | 'dailyRequests'
    | 'dailyTokens'
    | 'monthlySpendCny'
    | 'allowedIps'
    | 'note'
  >
>

/** A new client key: name, hash and prefix, with any of its limits. */
export type NewClientKey = {
  name: string
  keyHash: string
  prefix: string
  createdAt: number
  /** Null (made here) unless given: `siliconflowProxy` for the imported old secret. */
  origin?: ClientKeyRow['origin']
} & Omit<ClientKeyPatch, 'name'>

export interface ClientKeysRepository {
  all(): ClientKeyRow[]
  /** The key with this hash, if any. */
  findByHash(keyHash: string): ClientKeyRow | undefined
  insert(row: NewClientKey): ClientKeyRow
  /** The row after the change; undefined for an unknown id. */
  update(id: number, patch: ClientKeyPatch): ClientKeyRow | undefined
  remove(id: number): boolean
  /** Add request counts and last-use times gathered since the previous flush. */
  recordUsage(usage: ReadonlyMap<number, ClientKeyUsage>): void
}

export function createClientKeysRepository(db: Db): ClientKeysRepository {
  return {
    all() {
      return db.select().from(clientKeys).orderBy(asc(clientKeys.id)).all()
    },
    findByHash(keyHash) {
      return db.select().from(clientKeys).where(eq(clientKeys.keyHash, keyHash)).get()
    },
    insert(row) {
      return db.insert(clientKeys).values(row).returning().get()
    },
    update(id, patch) {
      return db.update(clientKeys).set(patch).where(eq(clientKeys.id, id)).returning().get()
    },
    remove(id) {
      return db.delete(clientKeys).where(eq(clientKeys.id, id)).run().changes > 0
    },
    recordUsage(usage) {
      if (usage.size === 0) return
      db.transaction((tx) => {
        for (const [id, { requests, lastUsedAt, day, month }] of usage) {
          tx.update(clientKeys)
            .set({
              requestCount: sql`${clientKeys.requestCount} + ${requests}`,
              lastUsedAt: sql`max(coalesce(${clientKeys.lastUsedAt}, 0), ${lastUsedAt})`,
              ...(day === undefined ? {} : dayCounters(day)),
              ...(month === undefined ? {} : monthCounter(month)),
            })
            .where(eq(clientKeys.id, id))
            .run()
        }
      })
    },
  }
}

/**
 * A period counter's new value: added to in its period, started again in a later one, kept when
 * the write is of an earlier one. Read and written by the database in the same statement.
 */
function periodCounter(period: SQLiteColumn, column: SQLiteColumn, current: string, added: number) {
  return sql`case when ${period} = ${current} then ${column} + ${added}
    when ${period} is null or ${period} < ${current} then ${added} else ${column} end`
}

function dayCounters({ date, requests, tokens }: NonNullable<ClientKeyUsage['day']>) {
  const { usageDay } = clientKeys
  return {
    dayRequests: periodCounter(usageDay, clientKeys.dayRequests, date, requests),
    dayTokens: periodCounter(usageDay, clientKeys.dayTokens, date, tokens),
    usageDay: sql`max(coalesce(${usageDay}, ''), ${date})`,
  }
}

function monthCounter({ month, spendCny }: NonNullable<ClientKeyUsage['month']>) {
  const { usageMonth } = clientKeys
  return {
    monthSpendCny: periodCounter(usageMonth, clientKeys.monthSpendCny, month, spendCny),
    usageMonth: sql`max(coalesce(${usageMonth}, ''), ${month})`,
  }
}
