import type { Statement } from 'better-sqlite3'
import { getTableName } from 'drizzle-orm'
import type { SQLiteTable } from 'drizzle-orm/sqlite-core'
import type { Db } from './database.js'
import { patchColumns } from './query-parts.js'

/**
 * `UPDATE <table> SET <the patch's columns> WHERE id = ?`, one prepared statement per set of
 * columns (a handful of shapes in practice). Rows written at request rate (a key's state, a
 * lane's guard memory) use it: the query builder costs ~100 µs a call, a prepared statement a
 * few. Fields that are `undefined` are left out (`patchColumns`).
 */
export function createPatchWriter<Patch extends object>(
  db: Db,
  table: SQLiteTable,
): (id: number, patch: Patch) => void {
  const tableName = getTableName(table)
  // Booleans are stored as 0/1, objects (the JSON columns) as their JSON text.
  const columnsOf = patchColumns(table, (value) =>
    typeof value === 'boolean'
      ? Number(value)
      : typeof value === 'object' && value !== null
        ? JSON.stringify(value)
        : value,
  )
  const statements = new Map<string, Statement>()
  return (id, patch) => {
    const { columns, values } = columnsOf(patch)
    const shape = columns.join(',')
    let statement = statements.get(shape)
    if (statement === undefined) {
      const assignments = columns.map((column) => `"${column}" = ?`).join(', ')
      statement = db.$client.prepare(`UPDATE "${tableName}" SET ${assignments} WHERE id = ?`)
      statements.set(shape, statement)
    }
    statement.run(...values, id)
  }
}
