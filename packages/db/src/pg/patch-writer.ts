import { getTableName } from 'drizzle-orm'
import type { PgTable } from 'drizzle-orm/pg-core'
import type pg from 'pg'
import { patchColumns } from '../query-parts.js'
import { columnValue, statementName } from './raw-statements.js'

/**
 * PostgreSQL's `createPatchWriter` (`../patch-writer.ts`): `UPDATE <table> SET <the patch's
 * columns> WHERE id = $n`, one named statement per set of columns (a handful of shapes in
 * practice), for the rows written at request rate. Fields that are `undefined` are left out;
 * booleans are bound as booleans, objects (the `jsonb` columns) as their JSON text.
 */
export function createPgPatchWriter<Patch extends object>(
  pool: pg.Pool,
  table: PgTable,
): (id: number, patch: Patch) => Promise<void> {
  const tableName = getTableName(table)
  const columnsOf = patchColumns(table, columnValue)
  const statements = new Map<string, { name: string; text: string }>()
  return async (id, patch) => {
    const { columns, values } = columnsOf(patch)
    const shape = columns.join(',')
    let statement = statements.get(shape)
    if (statement === undefined) {
      const assignments = columns.map((column, i) => `"${column}" = $${i + 1}`).join(', ')
      statement = {
        name: statementName(),
        text: `UPDATE "${tableName}" SET ${assignments} WHERE id = $${columns.length + 1}`,
      }
      statements.set(shape, statement)
    }
    await pool.query({ ...statement, values: [...values, id] })
  }
}
