import { getTableName } from 'drizzle-orm'
import type { PgTable } from 'drizzle-orm/pg-core'
import type pg from 'pg'
import { patchColumns } from '../query-parts.js'
import { fenceCondition, type LaneFence } from './lane-fence.js'
import { columnValue, statementName } from './raw-statements.js'

/**
 * PostgreSQL's `createPatchWriter` (`../patch-writer.ts`): `UPDATE <table> SET <the patch's
 * columns> WHERE id = $n`, one named statement per set of columns (a handful of shapes in
 * practice), for the rows written at request rate. Fields that are `undefined` are left out;
 * booleans are bound as booleans, objects (the `jsonb` columns) as their JSON text.
 * With a `fence` (a lane's row written under its lease) the row is updated only while the lease
 * is current; resolves to whether a row was updated.
 */
export function createPgPatchWriter<Patch extends object>(
  pool: pg.Pool,
  table: PgTable,
): (id: number, patch: Patch, fence?: LaneFence) => Promise<boolean> {
  const tableName = getTableName(table)
  const columnsOf = patchColumns(table, columnValue)
  const statements = new Map<string, { name: string; text: string }>()
  return async (id, patch, fence) => {
    const { columns, values } = columnsOf(patch)
    const shape = `${fence ? 'fenced:' : ''}${columns.join(',')}`
    let statement = statements.get(shape)
    if (statement === undefined) {
      const assignments = columns.map((column, i) => `"${column}" = $${i + 1}`).join(', ')
      const n = columns.length
      const condition = fence ? ` AND ${fenceCondition(`$${n + 2}`, `$${n + 3}`, `$${n + 4}`)}` : ''
      statement = {
        name: statementName(),
        text: `UPDATE "${tableName}" SET ${assignments} WHERE id = $${n + 1}${condition}`,
      }
      statements.set(shape, statement)
    }
    const fenceValues = fence ? [fence.egressId, fence.instanceId, fence.token] : []
    const result = await pool.query({ ...statement, values: [...values, id, ...fenceValues] })
    return (result.rowCount ?? 0) > 0
  }
}
