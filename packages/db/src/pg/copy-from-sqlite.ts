import { getTableColumns, getTableName, gt, is, sql, type Table } from 'drizzle-orm'
import { PgTable } from 'drizzle-orm/pg-core'
import { SQLiteTable } from 'drizzle-orm/sqlite-core'
import type { DatabaseHandle } from '../database.js'
import * as sqliteSchema from '../schema.js'
import type { PostgresHandle } from './database.js'
import * as pgSchema from './schema.js'

/** Rows per INSERT: well under PostgreSQL's 65,535 parameters for the widest table. */
const ROWS_PER_INSERT = 500

/** The page cursor's field, named so that no column of ours can have it. */
const ROWID = '__sqlite_rowid'

/** A table both schemas declare under one name: the rows of one insert into the other as is. */
interface TablePair {
  name: string
  from: SQLiteTable
  to: PgTable
}

/**
 * Every table of the SQLite schema with its PostgreSQL twin, in declaration order. The two
 * schemas name their fields alike and give them the same JS types (the parity test holds them
 * to it), so a row read from one is a row for the other.
 */
function tablePairs(): TablePair[] {
  const pairs: TablePair[] = []
  for (const [name, from] of Object.entries(sqliteSchema)) {
    const to = (pgSchema as Record<string, unknown>)[name]
    if (is(from, SQLiteTable) && is(to, PgTable)) pairs.push({ name: getTableName(from), from, to })
  }
  return pairs
}

/** The target already holds rows: copying would mix two pools. */
export class TargetNotEmpty extends Error {
  readonly code = 'SFP_TARGET_NOT_EMPTY'
}

export interface CopyReport {
  /** Rows copied per table, by table name. */
  tables: Record<string, number>
}

/**
 * Copy everything of a SQLite database (`DATA_DIR/api_keys.db`) into a migrated, empty
 * PostgreSQL database, ids included, in one transaction: all or nothing. Secrets are copied as
 * stored (sealed with ENCRYPTION_KEY or not): the servers on PostgreSQL need the same
 * ENCRYPTION_KEY. The identity sequences continue after the copied ids. Rejects with
 * `TargetNotEmpty` when any table of the target holds a row.
 */
export async function copySqliteToPostgres(
  source: DatabaseHandle,
  target: PostgresHandle,
  onTable: (table: string, rows: number) => void = () => {},
): Promise<CopyReport> {
  const pairs = tablePairs()
  const report: CopyReport = { tables: {} }
  await target.db.transaction(async (tx) => {
    for (const { name, to } of pairs) {
      const { rows } = await tx.execute<{ n: number }>(
        sql`SELECT count(*)::int AS n FROM ${to as Table}`,
      )
      if ((rows[0]?.n ?? 0) > 0) {
        throw new TargetNotEmpty(
          `the PostgreSQL database already holds rows (table ${name}): copy only into a new, empty one`,
        )
      }
    }
    for (const { name, from, to } of pairs) {
      let copied = 0
      // Pages in rowid order, each starting after the last: a large request log never sits in
      // memory whole, and no page re-reads the rows before it.
      const rowid = sql<number>`rowid`
      const columns = { ...getTableColumns(from), [ROWID]: rowid }
      for (let after = 0; ; ) {
        const page = source.db
          .select(columns)
          .from(from)
          .where(gt(rowid, after))
          .orderBy(rowid)
          .limit(ROWS_PER_INSERT)
          .all() as Record<string, unknown>[]
        if (page.length === 0) break
        after = Number(page[page.length - 1]?.[ROWID])
        for (const row of page) delete row[ROWID]
        await tx.insert(to).values(page as never[])
        copied += page.length
      }
      if ('id' in to) {
        // Identity columns hand out ids after the largest copied one, never one that exists.
        await tx.execute(sql`SELECT setval(
          pg_get_serial_sequence(${`"${target.schema}"."${name}"`}, 'id'),
          COALESCE((SELECT max(id) FROM ${to as Table}), 0) + 1,
          false)`)
      }
      report.tables[name] = copied
      onTable(name, copied)
    }
  })
  return report
}
