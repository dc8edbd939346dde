import { createHash } from 'node:crypto'
import Database from 'better-sqlite3'

/**
 * Writes SQLite files shaped exactly like the old siliconflowProxy's `data/api_keys.db`: its
 * CREATE TABLE statements (the current ones, and an early version's without the columns added
 * later), rollback journal, times as `YYYY-MM-DD HH:MM:SS` UTC text. Shared by the db and server
 * tests of the import.
 */

/** The old program's schema, last version. */
export const LEGACY_SCHEMA = `
CREATE TABLE IF NOT EXISTS api_keys (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  api_key TEXT NOT NULL UNIQUE,
  status TEXT DEFAULT 'active' CHECK(status IN ('active', 'insufficient', 'error')),
  is_available INTEGER DEFAULT 1,
  balance REAL DEFAULT 0,
  balance_checked_at DATETIME,
  call_count INTEGER DEFAULT 0,
  created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
  last_used_at DATETIME,
  error_count INTEGER DEFAULT 0,
  last_error TEXT
);
CREATE TABLE IF NOT EXISTS api_usage (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  api_key_id INTEGER,
  timestamp DATETIME DEFAULT CURRENT_TIMESTAMP,
  success INTEGER,
  status_code INTEGER,
  duration_ms INTEGER,
  request_type TEXT,
  response_type TEXT,
  model TEXT,
  client_ip TEXT,
  request_path TEXT,
  upstream_url TEXT,
  proxy_info TEXT,
  request_id TEXT,
  error TEXT,
  client_api_key TEXT,
  full_request_path TEXT,
  FOREIGN KEY (api_key_id) REFERENCES api_keys(id)
);
CREATE TABLE IF NOT EXISTS ip_blacklist (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  blocked_at DATETIME DEFAULT CURRENT_TIMESTAMP,
  unblock_at DATETIME NOT NULL,
  reason TEXT
);
CREATE TABLE IF NOT EXISTS proxy_config (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  enabled INTEGER DEFAULT 0,
  type TEXT CHECK(type IN ('socks5', 'http', 'https')),
  host TEXT,
  port INTEGER,
  username TEXT,
  password TEXT,
  order_index INTEGER DEFAULT 0,
  created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
  is_available INTEGER DEFAULT 1,
  verify_ip TEXT,
  verify_address TEXT,
  verify_latency INTEGER,
  verified_at DATETIME
);
CREATE TABLE IF NOT EXISTS proxy_state (
  id INTEGER PRIMARY KEY,
  active_proxy_id INTEGER,
  activated_at DATETIME,
  expires_at TEXT
);
`

/** The columns later versions added with `ALTER TABLE`, by table: an early file lacks them. */
const LATER_COLUMNS: Record<string, readonly string[]> = {
  api_usage: ['client_api_key', 'full_request_path'],
  proxy_config: ['is_available', 'verify_ip', 'verify_address', 'verify_latency', 'verified_at'],
}

/** `schema` with each table's later columns left out. */
function withoutLaterColumns(schema: string): string {
  return schema
    .split(/(?=CREATE TABLE)/)
    .map((statement) => {
      const table = /CREATE TABLE IF NOT EXISTS (\w+)/.exec(statement)?.[1] ?? ''
      const later = new Set(LATER_COLUMNS[table] ?? [])
      return statement
        .split('\n')
        .filter((line) => !later.has(line.trim().split(' ')[0] ?? ''))
        .join('\n')
        .replace(/,\n\);/, '\n);')
    })
    .join('')
}

/** An early version: `api_usage` and `proxy_config` without the columns added later. */
export const EARLY_LEGACY_SCHEMA = withoutLaterColumns(LEGACY_SCHEMA)

/** The old tables, all of them: what the digest covers. */
export const LEGACY_TABLE_NAMES = [
  'api_keys',
  'api_usage',
  'ip_blacklist',
  'proxy_config',
  'proxy_state',
] as const

/** A time as the old program stored it (SQLite's CURRENT_TIMESTAMP format, UTC). */
export function legacyTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ')
}

export interface LegacyKeyFixture {
  id?: number
  api_key: string
  status?: string
  is_available?: number
  balance?: number
  call_count?: number
  created_at?: string
  last_used_at?: string | null
  error_count?: number
  last_error?: string | null
}

export interface LegacyProxyFixture {
  id?: number
  enabled?: number
  type?: string | null
  host?: string | null
  port?: number | null
  username?: string | null
  password?: string | null
  order_index?: number
}

export interface LegacyBlockFixture {
  blocked_at?: string
  unblock_at: string
  reason?: string | null
}

export interface LegacyFixture {
  variant?: 'current' | 'early'
  keys?: LegacyKeyFixture[]
  proxies?: LegacyProxyFixture[]
  blocks?: LegacyBlockFixture[]
  /** `api_usage` rows: their client_api_key (current schema) must never be read. */
  usage?: { api_key_id: number; client_api_key?: string; model?: string }[]
  activeProxyId?: number | null
}

function insert(sqlite: Database.Database, table: string, row: Record<string, unknown>): void {
  const columns = Object.keys(row).filter((name) => row[name] !== undefined)
  if (columns.length === 0) return
  sqlite
    .prepare(
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
    )
    .run(...columns.map((name) => row[name]))
}

/** Creates (or adds to) `path` with the old schema and these rows; returns nothing open. */
export function writeLegacyDatabase(path: string, fixture: LegacyFixture = {}): void {
  const sqlite = new Database(path)
  try {
    // The old program used SQLite's default rollback journal.
    sqlite.pragma('journal_mode = DELETE')
    // Nor did it turn foreign keys on: usage rows may name deleted keys.
    sqlite.pragma('foreign_keys = OFF')
    sqlite.exec(fixture.variant === 'early' ? EARLY_LEGACY_SCHEMA : LEGACY_SCHEMA)
    // A hand-edited file may hold what the CHECKs forbid (an unknown status, say).
    sqlite.pragma('ignore_check_constraints = ON')
    for (const key of fixture.keys ?? []) insert(sqlite, 'api_keys', { ...key })
    for (const proxy of fixture.proxies ?? []) insert(sqlite, 'proxy_config', { ...proxy })
    for (const block of fixture.blocks ?? []) insert(sqlite, 'ip_blacklist', { ...block })
    for (const use of fixture.usage ?? []) {
      insert(sqlite, 'api_usage', {
        api_key_id: use.api_key_id,
        success: 1,
        status_code: 200,
        model: use.model ?? 'Qwen/Qwen2.5-7B-Instruct',
        ...(fixture.variant === 'early' ? {} : { client_api_key: use.client_api_key }),
      })
    }
    if (fixture.activeProxyId !== undefined) {
      insert(sqlite, 'proxy_state', {
        id: 1,
        active_proxy_id: fixture.activeProxyId,
        activated_at: legacyTime(Date.now()),
        expires_at: new Date(Date.now() + 3_600_000).toISOString(),
      })
    }
  } finally {
    sqlite.close()
  }
}

/** A SHA-256 over every row of every old table present, in rowid order, and their schema. */
export function legacyTablesDigest(sqlite: Database.Database): string {
  const hash = createHash('sha256')
  const present = new Set(
    (
      sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
        name: string
      }[]
    ).map((row) => row.name),
  )
  for (const table of LEGACY_TABLE_NAMES) {
    if (!present.has(table)) continue
    const schema = sqlite.prepare('SELECT sql FROM sqlite_master WHERE name = ?').get(table)
    hash.update(`\u0000${table}\u0000${JSON.stringify(schema)}`)
    for (const row of sqlite.prepare(`SELECT * FROM ${table} ORDER BY rowid`).iterate()) {
      hash.update(JSON.stringify(row))
    }
  }
  return hash.digest('hex')
}

/** The old client secret stored in `api_usage`: no summary, log or answer may contain it. */
export const LEGACY_CLIENT_SECRET_IN_USAGE = 'sk-old-client-secret-in-usage-0001'
export const LEGACY_PROXY_PASSWORD = 'p@ss:w0rd/old'

export const LEGACY_KEYS = {
  alpha: 'sk-alphaalphaalphaalphaalpha0001',
  bravo: 'sk-bravobravobravobravobravo0002',
  charlie: 'sk-charliecharliecharliechar0003',
  delta: 'sk-deltadeltadeltadeltadelta0004',
  echo: 'sk-echoechoechoechoechoecho00005',
} as const

/**
 * A typical old database: keys in an order that differs from their ids, every state, two
 * working proxies and two broken ones, an expired and an active IP block, usage with a client
 * secret. `now` places the active block two hours ahead.
 */
export function typicalLegacyFixture(
  now: number,
  variant: 'current' | 'early' = 'current',
): LegacyFixture & { keys: LegacyKeyFixture[] } {
  return {
    variant,
    keys: [
      {
        api_key: LEGACY_KEYS.alpha,
        status: 'active',
        balance: 14.5,
        call_count: 42,
        created_at: '2025-03-02 10:00:00',
        last_used_at: '2025-06-01 08:30:00',
        error_count: 2,
        last_error: 'timeout\nafter 600000 ms',
      },
      {
        api_key: LEGACY_KEYS.bravo,
        status: 'insufficient',
        balance: 0,
        call_count: 7,
        created_at: '2025-03-01 09:00:00',
        last_used_at: '2025-05-20 12:00:00',
        error_count: 1,
        last_error: '{"code":30001,"message":"Sorry, your account balance is insufficient"}',
      },
      {
        api_key: LEGACY_KEYS.charlie,
        status: 'error',
        balance: 3,
        call_count: 5,
        created_at: '2025-03-02 10:00:00',
        last_used_at: null,
        error_count: 5,
        last_error: 'HTTP 500',
      },
      {
        api_key: LEGACY_KEYS.delta,
        status: 'active',
        is_available: 0,
        balance: 9,
        call_count: 1,
        created_at: '2025-03-03 00:00:00',
      },
      { api_key: 'short', created_at: '2025-03-04 00:00:00' },
      { api_key: '', created_at: '2025-03-04 00:00:01' },
      {
        api_key: LEGACY_KEYS.echo,
        status: 'error',
        is_available: 0,
        created_at: '2025-03-05 00:00:00',
      },
    ],
    proxies: [
      {
        enabled: 1,
        type: 'socks5',
        host: '127.0.0.1',
        port: 1080,
        username: 'olduser',
        password: LEGACY_PROXY_PASSWORD,
        order_index: 2,
      },
      { enabled: 0, type: 'http', host: 'proxy.example.com', port: 8080, order_index: 1 },
      { enabled: 1, type: 'https', host: '', port: 443, order_index: 3 },
      { enabled: 1, type: 'http', host: 'noport.example.com', port: null, order_index: 4 },
    ],
    blocks: [
      { unblock_at: '2020-01-01 00:00:00', reason: 'old block' },
      { unblock_at: legacyTime(now + 2 * 3_600_000), reason: 'HTTP 403 from upstream' },
    ],
    usage: [{ api_key_id: 1, client_api_key: LEGACY_CLIENT_SECRET_IN_USAGE }],
    activeProxyId: 1,
  }
}
