import type Database from 'better-sqlite3'

/**
 * Reading the old siliconflowProxy tables as they are in a real file: columns added by later
 * versions may be missing and column order varies, so each table is read by the names it has;
 * a missing column reads as undefined. Values come back as SQLite stored them (the old program
 * wrote whatever its driver gave, so a number may be text): the mapper makes sense of them.
 *
 * Only SELECTs, and never on `api_usage` (its `client_api_key` is a client secret in plain text)
 * nor `proxy_state` (which proxy was active: meaningless here).
 */

export interface LegacyKeyRow {
  id: unknown
  api_key: unknown
  status: unknown
  is_available: unknown
  call_count: unknown
  created_at: unknown
  last_used_at: unknown
  error_count: unknown
  last_error: unknown
}

export interface LegacyProxyRow {
  id: unknown
  enabled: unknown
  type: unknown
  host: unknown
  port: unknown
  username: unknown
  password: unknown
  order_index: unknown
}

export interface LegacyBlockRow {
  id: unknown
  blocked_at: unknown
  unblock_at: unknown
  reason: unknown
}

export interface LegacySnapshot {
  keys: LegacyKeyRow[]
  proxies: LegacyProxyRow[]
  blocks: LegacyBlockRow[]
}

const KEY_COLUMNS = [
  'id',
  'api_key',
  'status',
  'is_available',
  'call_count',
  'created_at',
  'last_used_at',
  'error_count',
  'last_error',
] as const satisfies readonly (keyof LegacyKeyRow)[]
const PROXY_COLUMNS = [
  'id',
  'enabled',
  'type',
  'host',
  'port',
  'username',
  'password',
  'order_index',
] as const satisfies readonly (keyof LegacyProxyRow)[]
const BLOCK_COLUMNS = [
  'id',
  'blocked_at',
  'unblock_at',
  'reason',
] as const satisfies readonly (keyof LegacyBlockRow)[]

function tableNames(sqlite: Database.Database): Set<string> {
  const rows = sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
    name: string
  }[]
  return new Set(rows.map((row) => row.name))
}

/** True when the file holds the old program's key table (the one table every version had). */
export function hasLegacyTables(sqlite: Database.Database): boolean {
  return tableNames(sqlite).has('api_keys')
}

function readTable<Row>(
  sqlite: Database.Database,
  tables: Set<string>,
  table: string,
  wanted: readonly string[],
): Row[] {
  if (!tables.has(table)) return []
  const present = new Set(
    (sqlite.prepare(`PRAGMA table_info("${table}")`).all() as { name: string }[]).map(
      (column) => column.name,
    ),
  )
  const columns = wanted.filter((name) => present.has(name))
  if (columns.length === 0) return []
  const list = columns.map((name) => `"${name}"`).join(', ')
  const rows = sqlite.prepare(`SELECT ${list} FROM "${table}"`).all() as Record<string, unknown>[]
  return rows.map((row) => {
    const full: Record<string, unknown> = {}
    for (const name of wanted) full[name] = row[name]
    return full as Row
  })
}

/** Every row of the tables the import uses, by column name. */
export function readLegacyDatabase(sqlite: Database.Database): LegacySnapshot {
  const tables = tableNames(sqlite)
  return {
    keys: readTable<LegacyKeyRow>(sqlite, tables, 'api_keys', KEY_COLUMNS),
    proxies: readTable<LegacyProxyRow>(sqlite, tables, 'proxy_config', PROXY_COLUMNS),
    blocks: readTable<LegacyBlockRow>(sqlite, tables, 'ip_blacklist', BLOCK_COLUMNS),
  }
}
