import { getTableColumns, getTableName, is, SQL } from 'drizzle-orm'
import type { PgTable } from 'drizzle-orm/pg-core'
import type pg from 'pg'
import { columnValue, ROW_TYPES, rowColumns, statementName } from './raw-statements.js'

/**
 * Many rows in one statement: `INSERT INTO <table> (<columns>) SELECT * FROM unnest($1::<type>[],
 * ...)`, one array per column, so the statement's text is the same whatever the number of rows
 * (one named statement, no limit of bound parameters) and the rows go in in their order, ids
 * ascending with it. One statement is one transaction.
 *
 * Like the SQLite repositories' prepared inserts, a field the row leaves out (or gives as
 * `undefined` or null) takes the column's default from the schema, null when it has none; the
 * identity column is left to the database.
 */
function bulkInsertStatement(table: PgTable, clauses: string) {
  const columns = Object.entries(getTableColumns(table)).filter(
    ([, column]) => column.generatedIdentity === undefined,
  )
  for (const [field, column] of columns) {
    if (is(column.default, SQL)) throw new Error(`${field}: SQL defaults are not supported`)
  }
  const names = columns.map(([, column]) => `"${column.name}"`).join(', ')
  const arrays = columns.map(([, column], i) => `$${i + 1}::${column.getSQLType()}[]`).join(', ')
  return {
    name: statementName(),
    text: `INSERT INTO "${getTableName(table)}" (${names}) SELECT * FROM unnest(${arrays}) ${clauses}`,
    values: (rows: readonly object[]) =>
      columns.map(([field, column]) =>
        rows.map((row) =>
          columnValue((row as Record<string, unknown>)[field] ?? column.default ?? null),
        ),
      ),
  }
}

/** Append the rows (`bulkInsertStatement`). */
export function createBulkInsert<New extends object>(
  pool: pg.Pool,
  table: PgTable,
): (rows: readonly New[]) => Promise<void> {
  const { name, text, values } = bulkInsertStatement(table, '')
  return async (rows) => {
    if (rows.length > 0) await pool.query({ name, text, values: values(rows) })
  }
}

/**
 * Insert the rows (`bulkInsertStatement`), skipping those that break a unique constraint
 * (`ON CONFLICT DO NOTHING`, a row given twice included); resolves to the rows inserted, as
 * stored, in id order.
 */
export function createBulkInsertSkippingConflicts<New extends object, Row extends { id: number }>(
  pool: pg.Pool,
  table: PgTable,
): (rows: readonly New[]) => Promise<Row[]> {
  const { name, text, values } = bulkInsertStatement(
    table,
    `ON CONFLICT DO NOTHING RETURNING ${rowColumns(table)}`,
  )
  return async (rows) => {
    if (rows.length === 0) return []
    const result = await pool.query<Row>({ name, text, values: values(rows), types: ROW_TYPES })
    // RETURNING follows the order rows were inserted in, which no standard promises: sort.
    return result.rows.sort((a, b) => a.id - b.id)
  }
}
