import type { Statement } from 'better-sqlite3'
import { getTableColumns, getTableName } from 'drizzle-orm'
import type { SQLiteTable } from 'drizzle-orm/sqlite-core'
import type { Db } from './database.js'

/**
 * `UPDATE <table> SET <the patch's columns> WHERE id = ?`, one prepared statement per set of
 * columns (a handful of shapes in practice). Rows written at request rate (a key's state, a
 * lane's guard memory) use it: the query builder costs ~100 µs a call, a prepared statement a
 * few. Like Drizzle's `set()`, fields that are `undefined` are left out; every column is a plain
 * integer, real or text, so values are bound as they are. Booleans are stored as 0/1, objects
 * (the JSON columns) as their JSON text.
 */
export function createPatchWriter<Patch extends object>(
  db: Db,
  table: SQLiteTable,
): (id: number, patch: Patch) => void {
  const tableName = getTableName(table)
  const columnNames: Record<string, string> = Object.fromEntries(
    Object.entries(getTableColumns(table)).map(([field, column]) => [field, column.name]),
  )
  const statements = new Map<string, Statement>()
  return (id, patch) => {
    const columns: string[] = []
    const values: unknown[] = []
    for (const [field, value] of Object.entries(patch)) {
      const column = columnNames[field]
      if (value === undefined || column === undefined) continue
      columns.push(column)
      values.push(
        typeof value === 'boolean'
          ? Number(value)
          : typeof value === 'object' && value !== null
            ? JSON.stringify(value)
            : value,
      )
    }
    if (columns.length === 0) throw new Error('No values to set')
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
