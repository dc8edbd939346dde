import { getTableColumns } from 'drizzle-orm'
import type { PgTable } from 'drizzle-orm/pg-core'
import pg from 'pg'

/**
 * Statements sent through the pool without drizzle: the writes made at request rate and the
 * bulk writes, where building the query costs more than the database's work (`pnpm bench`).
 * They are named, so each connection parses and plans one only once; names come from one
 * counter, as a connection refuses one name for two texts.
 */
let statements = 0
export function statementName(): string {
  statements += 1
  return `sfp_${statements}`
}

/**
 * How raw statements read their rows: as drizzle reads them (`bigint` columns, the times and
 * counters, as JS numbers rather than pg's strings; `jsonb` parsed; `boolean` as booleans).
 * Every value they hold is below 2^53.
 */
export const ROW_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8
      ? Number
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
}

/** A statement of fixed text, named (`statementName`); resolves to how many rows it changed. */
export function namedStatement(
  pool: pg.Pool,
  text: string,
): (values: unknown[]) => Promise<number> {
  const name = statementName()
  return async (values) => (await pool.query({ name, text, values })).rowCount ?? 0
}

/** `"masked_key" AS "maskedKey", ...`: every column of `table`, named as its row type's field. */
export function rowColumns(table: PgTable): string {
  return Object.entries(getTableColumns(table))
    .map(([field, column]) => `"${column.name}" AS "${field}"`)
    .join(', ')
}

/** A value bound to a column: objects go to `jsonb` columns as their JSON text. */
export function columnValue(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : value
}
