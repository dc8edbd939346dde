import { fileURLToPath } from 'node:url'
import { sql } from 'drizzle-orm'
import { readMigrationFiles } from 'drizzle-orm/migrator'
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres'
import { migrate } from 'drizzle-orm/node-postgres/migrator'
import pg from 'pg'
import * as schema from './schema.js'

/** The committed PostgreSQL migrations: `../../drizzle-pg` from both `src/pg/` and `dist/pg/`. */
export const PG_MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle-pg', import.meta.url))

/** drizzle's journal of applied migrations, kept in the same schema as the tables. */
export const PG_MIGRATIONS_TABLE = '__drizzle_migrations'

/**
 * The session-level advisory lock every instance takes before migrating: the ASCII bytes of
 * `sfp-migr` read as one bigint, a key no other program is likely to pick. Advisory locks are
 * per database, so instances on one database wait for each other whatever their schema.
 */
const MIGRATION_LOCK_KEY = '8315168336469059442'

/**
 * How long opening a connection may take before it fails: an unroutable host would otherwise
 * hang for the operating system's TCP timeout, minutes, instead of failing the boot with a line.
 */
const CONNECT_TIMEOUT_MS = 10_000

/** Shown in `pg_stat_activity`, so an operator can tell this server's connections apart. */
const APPLICATION_NAME = 'siliconflow-proxy'

export type PgDb = NodePgDatabase<typeof schema> & { $client: pg.Pool }

export interface PostgresHandle {
  db: PgDb
  /** The raw pool, for statements drizzle does not build (LISTEN, advisory locks). */
  pool: pg.Pool
  /** The schema holding the tables and the migration journal: `current_schema()` at open. */
  schema: string
  isOpen(): boolean
  /** Ends the pool: waits for checked-out connections to come back, then closes every one. */
  close(): Promise<void>
}

export interface OpenPostgresOptions {
  /** `postgres://user:password@host:port/database`; secret-bearing, never put in a message. */
  url: string
  /**
   * A schema to work in, set as every connection's `search_path` (the tests give each test its
   * own). Without it the connections keep the server's default search_path, normally `public`.
   */
  schema?: string
  /**
   * Told of errors on idle connections (the server restarted, an administrator ended the
   * session). The pool has already dropped the broken connection and the next query opens a
   * new one; without a listener such an error would end the process.
   */
  onIdleClientError?: (error: Error) => void
}

/**
 * Open a pool on `url` and migrate the database. Migrating happens on one connection under
 * `pg_advisory_lock`, so that instances booting together migrate once: the first applies the
 * pending migrations while the others wait on the lock, then find nothing left to apply. drizzle
 * runs the pending migrations in one transaction, so a failure leaves the schema as it was.
 *
 * Fails with one line naming the host and port, never the password, when PostgreSQL cannot be
 * reached or refuses the connection.
 */
export async function openPostgres({
  url,
  schema: searchPath,
  onIdleClientError = () => {},
}: OpenPostgresOptions): Promise<PostgresHandle> {
  const target = describeServer(url)
  const pool = new pg.Pool({
    connectionString: url,
    application_name: APPLICATION_NAME,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    options: searchPath === undefined ? undefined : `-c search_path=${checkSchemaName(searchPath)}`,
  })
  pool.on('error', onIdleClientError)
  try {
    const client = await connect(pool, target)
    const migratedSchema = await migrateUnderLock(client, target)
    return {
      db: drizzle({ client: pool, schema }),
      pool,
      schema: migratedSchema,
      isOpen: () => !pool.ended,
      close: async () => {
        if (!pool.ended) await pool.end()
      },
    }
  } catch (error) {
    await pool.end()
    throw error
  }
}

/**
 * The session-level advisory lock on a deployment's database: this number (ASCII `sfp1`) with a
 * hash of the schema, since deployments in two schemas of one database are two databases to us
 * (and the tests run many at once). Every running server holds it shared (cluster mode: many at
 * once); `pnpm db:copy-to-postgres` holds it alone while it fills the database.
 */
const DATABASE_USE_LOCK_CLASS = 0x73667031

/** The database is in use in a way that excludes what was asked (a copy, or a server during one). */
export class DatabaseInUse extends Error {
  readonly code = 'SFP_DATABASE_IN_USE'
}

/**
 * Hold the database's use lock on a connection of its own until the release: `sole` (the copy)
 * alone, else shared with the other servers. Resolves to the release (idempotent); rejects with
 * `DatabaseInUse` when the lock cannot be had now. `onLost`: the connection broke, which ends the
 * lock (PostgreSQL restarted).
 */
async function holdUseLock(
  handle: PostgresHandle,
  sole: boolean,
  onLost: (error: Error) => void,
): Promise<() => Promise<void>> {
  const client = await handle.pool.connect()
  let released = false
  try {
    const lock = sole ? 'pg_try_advisory_lock' : 'pg_try_advisory_lock_shared'
    const { rows } = await client.query<{ locked: boolean }>(
      `SELECT ${lock}($1, hashtext($2)) AS locked`,
      [DATABASE_USE_LOCK_CLASS, handle.schema],
    )
    if (rows[0]?.locked !== true) {
      throw new DatabaseInUse(
        sole
          ? 'a SiliconFlow Proxy server (or another copy) is using this PostgreSQL database: stop every server on it first'
          : 'pnpm db:copy-to-postgres is filling this PostgreSQL database: start the server once the copy is done',
      )
    }
  } catch (error) {
    client.release(true)
    throw error
  }
  // The lock lives as long as the session: a dropped connection (PostgreSQL restarted) loses it.
  client.on('error', (error) => {
    if (!released) onLost(error)
  })
  return async () => {
    if (released) return
    released = true
    // Ending the session releases the lock, whatever state the connection is in.
    client.release(true)
  }
}

/** The copy into an empty database: no server may use it meanwhile, nor a second copy. */
export function claimSoleInstance(
  handle: PostgresHandle,
  onLost: (error: Error) => void,
): Promise<() => Promise<void>> {
  return holdUseLock(handle, true, onLost)
}

/** A running server: any number of them share the database (cluster mode), never with a copy. */
export function claimSharedUse(
  handle: PostgresHandle,
  onLost: (error: Error) => void,
): Promise<() => Promise<void>> {
  return holdUseLock(handle, false, onLost)
}

/** True when every committed migration has been applied, as `isMigrated` tells of SQLite. */
export async function isPostgresMigrated(handle: PostgresHandle): Promise<boolean> {
  if (!handle.isOpen()) return false
  try {
    const journal = sql`${sql.identifier(handle.schema)}.${sql.identifier(PG_MIGRATIONS_TABLE)}`
    const result = await handle.db.execute<{ applied: number }>(
      sql`SELECT count(*)::int AS applied FROM ${journal}`,
    )
    return (result.rows[0]?.applied ?? 0) >= pgMigrationCount()
  } catch {
    return false
  }
}

/**
 * Take the lock, migrate in the connection's current schema (journal included, so two
 * deployments in two schemas of one database keep separate journals), give the lock back.
 */
async function migrateUnderLock(client: pg.PoolClient, target: string): Promise<string> {
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY])
    const { rows } = await client.query<{ schema: string | null }>(
      'SELECT current_schema() AS schema',
    )
    const currentSchema = rows[0]?.schema
    if (!currentSchema) {
      throw new Error(
        `PostgreSQL at ${target}: no schema of the search_path exists to create the tables in`,
      )
    }
    await migrate(drizzle({ client }), {
      migrationsFolder: PG_MIGRATIONS_FOLDER,
      migrationsSchema: currentSchema,
      migrationsTable: PG_MIGRATIONS_TABLE,
    })
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])
    client.release()
    return currentSchema
  } catch (error) {
    // Destroying the connection ends its session, which releases the lock whatever state the
    // connection was left in.
    client.release(true)
    throw error
  }
}

async function connect(pool: pg.Pool, target: string): Promise<pg.PoolClient> {
  try {
    return await pool.connect()
  } catch (error) {
    throw new Error(`cannot connect to PostgreSQL at ${target}: ${connectFailure(error)}`, {
      cause: error,
    })
  }
}

/**
 * Why a connection failed, in one line. Node reports a refused connection to a name with
 * several addresses (`localhost`) as an AggregateError with an empty message and only a code;
 * PostgreSQL's own refusals (unknown database, wrong password) name the user, never the password.
 */
function connectFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const code = (error as NodeJS.ErrnoException).code
  return (error.message || code || error.name).replace(/\s+/g, ' ')
}

/** `host:port` of a PostgreSQL URL, with pg's defaults, for messages: nothing secret in it. */
function describeServer(url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    // The URL itself may hold a password: say what is wrong without repeating it.
    throw new Error('the PostgreSQL URL is not a valid URL (postgres://user:password@host:port/db)')
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new Error(`the PostgreSQL URL must start with postgres://, not ${parsed.protocol}//`)
  }
  return `${decodeURIComponent(parsed.hostname) || 'localhost'}:${parsed.port || '5432'}`
}

/** A schema name goes into a connection option unquoted: plain lower-case identifiers only. */
function checkSchemaName(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
    throw new Error(`schema name ${JSON.stringify(name)} is not a plain lower-case identifier`)
  }
  return name
}

let cachedMigrationCount: number | undefined
function pgMigrationCount(): number {
  cachedMigrationCount ??= readMigrationFiles({ migrationsFolder: PG_MIGRATIONS_FOLDER }).length
  return cachedMigrationCount
}
