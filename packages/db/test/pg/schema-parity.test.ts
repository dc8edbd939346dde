import { expect, it } from 'vitest'
import { openDatabase } from '../../src/database.js'
import { PG_MIGRATIONS_TABLE } from '../../src/pg/index.js'
import { describePostgres, useTestSchema } from '../helpers/postgres.js'

/** Tables only a shared database needs (src/pg/schema.ts); SQLite has no counterpart. */
const CLUSTER_ONLY_TABLES = ['instances', 'lane_leases']

/**
 * The SQLite storage class each PostgreSQL type of src/pg/schema.ts stands for: times and
 * counters (`bigint`) and flags (`boolean`) are SQLite integers, `jsonb` is JSON text, `double
 * precision` is SQLite's 8-byte `real`. A PostgreSQL type missing here fails the comparison.
 */
const SQLITE_TYPE_OF: Record<string, string> = {
  integer: 'integer',
  bigint: 'integer',
  boolean: 'integer',
  text: 'text',
  jsonb: 'text',
  'double precision': 'real',
}

interface Column {
  table: string
  column: string
  type: string
  notNull: boolean
}

interface Index {
  table: string
  index: string
  columns: string[]
  unique: boolean
}

/** Both catalogs in one order, so a difference reads as one line of the diff. */
function sorted<T extends { table: string }>(rows: T[], key: (row: T) => string): T[] {
  return [...rows].sort((a, b) => `${a.table}.${key(a)}`.localeCompare(`${b.table}.${key(b)}`))
}

function sqliteCatalog(): { columns: Column[]; indexes: Index[] } {
  const handle = openDatabase({ dataDir: '', fileName: ':memory:' })
  try {
    const tables = handle.sqlite
      .prepare(
        `SELECT name FROM sqlite_master WHERE type = 'table'
         AND name NOT LIKE 'sqlite_%' AND name <> '__drizzle_migrations'`,
      )
      .all() as { name: string }[]
    const columns: Column[] = []
    const indexes: Index[] = []
    for (const { name: table } of tables) {
      const info = handle.sqlite.pragma(`table_info(${table})`) as {
        name: string
        type: string
        notnull: number
      }[]
      for (const column of info) {
        columns.push({
          table,
          column: column.name,
          type: column.type.toLowerCase(),
          notNull: column.notnull === 1,
        })
      }
      // `origin = 'c'`: made by CREATE [UNIQUE] INDEX, as drizzle-kit writes both kinds.
      const list = handle.sqlite.pragma(`index_list(${table})`) as {
        name: string
        unique: number
        origin: string
      }[]
      for (const index of list.filter((entry) => entry.origin === 'c')) {
        const indexed = handle.sqlite.pragma(`index_info(${index.name})`) as {
          seqno: number
          name: string
        }[]
        indexes.push({
          table,
          index: index.name,
          columns: indexed.sort((a, b) => a.seqno - b.seqno).map((entry) => entry.name),
          unique: index.unique === 1,
        })
      }
    }
    return {
      columns: sorted(columns, (row) => row.column),
      indexes: sorted(indexes, (row) => row.index),
    }
  } finally {
    handle.close()
  }
}

describePostgres('the PostgreSQL schema', () => {
  const testSchema = useTestSchema()

  it('has the tables, columns, nullability and indexes of the SQLite schema', async () => {
    await testSchema.open()
    const notShared = [PG_MIGRATIONS_TABLE, ...CLUSTER_ONLY_TABLES]
    const pgColumns = await testSchema.query<{
      table_name: string
      column_name: string
      data_type: string
      is_nullable: string
    }>(
      `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
       WHERE table_schema = $1 AND table_name <> ALL($2::text[])`,
      [testSchema.name, notShared],
    )
    const pgIndexes = await testSchema.query<{
      table_name: string
      index_name: string
      columns: string[]
      is_unique: boolean
    }>(
      // Primary keys aside: SQLite's INTEGER PRIMARY KEY is the row id, no index.
      `SELECT t.relname AS table_name, i.relname AS index_name, x.indisunique AS is_unique,
              array(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY AS k(attnum, n)
                    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
                    ORDER BY k.n)::text[] AS columns
       FROM pg_index x
       JOIN pg_class t ON t.oid = x.indrelid
       JOIN pg_class i ON i.oid = x.indexrelid
       JOIN pg_namespace s ON s.oid = t.relnamespace
       WHERE s.nspname = $1 AND NOT x.indisprimary AND t.relname <> ALL($2::text[])`,
      [testSchema.name, notShared],
    )

    const sqlite = sqliteCatalog()
    const postgres = {
      columns: sorted(
        pgColumns.map(
          (row): Column => ({
            table: row.table_name,
            column: row.column_name,
            type: SQLITE_TYPE_OF[row.data_type] ?? `unmapped PostgreSQL type ${row.data_type}`,
            notNull: row.is_nullable === 'NO',
          }),
        ),
        (row) => row.column,
      ),
      indexes: sorted(
        pgIndexes.map(
          (row): Index => ({
            table: row.table_name,
            index: row.index_name,
            columns: row.columns,
            unique: row.is_unique,
          }),
        ),
        (row) => row.index,
      ),
    }
    // Not empty on either side: a broken catalog query must not make two empty lists agree.
    expect(sqlite.columns.length).toBeGreaterThan(50)
    expect(sqlite.indexes.length).toBeGreaterThan(5)
    expect(postgres).toEqual(sqlite)
  })
})
