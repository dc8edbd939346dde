import { createHash } from 'node:crypto'
import type { DatabaseHandle } from '@sfp/db'

/** Every table the app writes, by name. */
export const APP_TABLES = [
  'upstream_keys',
  'client_keys',
  'settings',
  'key_events',
  'request_logs',
] as const
export type AppTable = (typeof APP_TABLES)[number]

/**
 * A SHA-256 over every row of `tables`, in rowid order: equal digests mean nothing in those tables
 * was written, deleted or changed in between. Cheap for the small tables of a test.
 */
export function databaseDigest(
  sqlite: DatabaseHandle['sqlite'],
  tables: readonly AppTable[] = APP_TABLES,
): string {
  const hash = createHash('sha256')
  for (const table of tables) {
    hash.update(`\u0000${table}\u0000`)
    // Table names come from the constant list above, never from input.
    for (const row of sqlite.prepare(`SELECT * FROM ${table} ORDER BY rowid`).iterate()) {
      hash.update(JSON.stringify(row))
    }
  }
  return hash.digest('hex')
}
