import { mkdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import * as schema from './schema.js'

export const DATABASE_FILE = 'api_keys.db'

/** The committed drizzle-kit migrations; `../drizzle` from both `src/` and `dist/`. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../drizzle', import.meta.url))

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database }

export interface DatabaseHandle {
  db: Db
  /** The raw connection, for pragmas, backups and prepared statements on hot paths. */
  sqlite: Database.Database
  path: string
  isOpen(): boolean
  close(): void
}

export interface OpenDatabaseOptions {
  dataDir: string
  /** Defaults to `api_keys.db`. `:memory:` gives a private in-memory database (tests). */
  fileName?: string
}

/**
 * Open (creating `dataDir` if needed) and migrate the database. WAL lets readers (dashboard,
 * backups) run beside the writer; `synchronous = NORMAL` in WAL mode survives a process crash,
 * which is the failure a gateway has to shrug off, at a fraction of FULL's fsync cost.
 */
export function openDatabase({
  dataDir,
  fileName = DATABASE_FILE,
}: OpenDatabaseOptions): DatabaseHandle {
  const inMemory = fileName === ':memory:'
  let path = fileName
  if (!inMemory) {
    const dir = resolve(dataDir)
    mkdirSync(dir, { recursive: true })
    path = join(dir, fileName)
  }
  const sqlite = new Database(path)
  try {
    sqlite.pragma('journal_mode = WAL')
    sqlite.pragma('synchronous = NORMAL')
    sqlite.pragma('busy_timeout = 5000')
    sqlite.pragma('foreign_keys = ON')
    const db = drizzle(sqlite, { schema })
    migrate(db, { migrationsFolder: MIGRATIONS_FOLDER })
    return {
      db,
      sqlite,
      path,
      isOpen: () => sqlite.open,
      close: () => {
        if (!sqlite.open) return
        // Fold the WAL back into the main file so a copied data folder is self-contained.
        sqlite.pragma('wal_checkpoint(TRUNCATE)')
        sqlite.close()
      },
    }
  } catch (error) {
    sqlite.close()
    throw error
  }
}

/** True when every committed migration has been applied (used by `/readyz`). */
export function isMigrated(handle: DatabaseHandle): boolean {
  if (!handle.isOpen()) return false
  try {
    const row = handle.sqlite
      .prepare('SELECT count(*) AS applied FROM __drizzle_migrations')
      .get() as { applied: number }
    return row.applied >= migrationCount()
  } catch {
    return false
  }
}

let cachedMigrationCount: number | undefined
function migrationCount(): number {
  cachedMigrationCount ??= readMigrationJournal().entries.length
  return cachedMigrationCount
}

function readMigrationJournal(): { entries: unknown[] } {
  return JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8'))
}
