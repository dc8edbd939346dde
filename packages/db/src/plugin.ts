import { randomUUID } from 'node:crypto'
import { accessSync, constants, existsSync } from 'node:fs'
import { readdir, rm } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import fp from 'fastify-plugin'
import { DATABASE_FILE, type DatabaseHandle, isMigrated, openDatabase } from './database.js'
import type { PostgresHandle } from './pg/database.js'
import { sqliteStorage } from './sqlite-storage.js'
import type { Storage } from './storage.js'

/**
 * `app.database`: the tables through `Storage`, whichever dialect holds them, and the open
 * handle of that dialect. SQLite is the default (`DATA_DIR/api_keys.db`); DATABASE_URL puts
 * everything in PostgreSQL (cluster mode, docs/behaviour.md §9).
 */
export interface Database extends Storage {
  dialect: 'sqlite' | 'postgres'
  /** The SQLite file (backups, the siliconflowProxy import); undefined on PostgreSQL. */
  handle: DatabaseHandle | undefined
  /** The PostgreSQL pool (cluster mode); undefined on SQLite. */
  postgres: PostgresHandle | undefined
  /** Every committed migration applied and the database answering (`/readyz`). */
  isReady(): Promise<boolean>
}

/** The decoration over an open SQLite handle (plugin tests build it over an in-memory database). */
export function databaseOf(handle: DatabaseHandle): Database {
  return {
    ...sqliteStorage(handle),
    dialect: 'sqlite',
    handle,
    postgres: undefined,
    isReady: async () => isMigrated(handle),
  }
}

/** The decoration over an open PostgreSQL handle; `pg` is loaded only when DATABASE_URL is set. */
export async function postgresDatabaseOf(postgres: PostgresHandle): Promise<Database> {
  const { postgresStorage, isPostgresMigrated } = await import('./pg/index.js')
  return {
    ...postgresStorage(postgres),
    dialect: 'postgres',
    handle: undefined,
    postgres,
    isReady: () => isPostgresMigrated(postgres),
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    database: Database
  }
}

export interface DatabasePluginOptions {
  dataDir: string
  /** DATABASE_URL: PostgreSQL instead of the SQLite file in `dataDir`. */
  databaseUrl?: string | undefined
}

/** `DATA_DIR/backups`: where `GET /api/manage/backup` writes the copy it then streams. */
export const backupFolderOf = (handle: DatabaseHandle) => join(dirname(handle.path), 'backups')

/** A new name for such a copy. */
export const backupCopyName = () => `backup-${randomUUID()}.db`

/** Those copies, and the rollback journal SQLite keeps beside one while it is written. */
const BACKUP_COPY =
  /^backup-[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{12}\.db(?:-journal)?$/

/**
 * A backup copy holds the upstream keys (in plain text without ENCRYPTION_KEY). The route removes
 * it once the download is over; a crash mid-download leaves it, so boot removes what is left.
 * Other files in the folder (an admin's own) are left alone.
 */
async function removeLeftoverBackupCopies(folder: string): Promise<number> {
  let names: string[]
  try {
    names = await readdir(folder)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0
    throw error
  }
  const leftovers = names.filter((name) => BACKUP_COPY.test(name))
  await Promise.all(leftovers.map((name) => rm(join(folder, name), { force: true })))
  return leftovers.length
}

/** A data folder (or database file) this process cannot write: the one line boot prints. */
export class DataDirNotWritable extends Error {
  readonly code = 'SFP_DATA_DIR_NOT_WRITABLE'
}

/** What the file system or SQLite says when this user may not create or write there. */
const FS_REFUSALS = new Set(['EACCES', 'EPERM', 'EROFS'])
const SQLITE_REFUSALS = /^SQLITE_(?:READONLY(?:_\w+)?|CANTOPEN|PERM)$/

/**
 * The explanation for an error opening DATA_DIR (undefined when it is something else). The
 * usual cause is a folder the old siliconflowProxy's container created as root (mode 755, its
 * `api_keys.db` 644): readable, so SQLite opens it, and refused at the first write
 * (SQLITE_READONLY, "attempt to write a readonly database"), or refused at once when the file
 * or folder cannot be created (EACCES, SQLITE_CANTOPEN).
 */
export function explainDataDirFailure(
  error: unknown,
  dataDir: string,
  user: { uid: number; gid: number } = currentUser(),
): DataDirNotWritable | undefined {
  const code = String((error as { code?: unknown } | null)?.code ?? '')
  if (!FS_REFUSALS.has(code) && !SQLITE_REFUSALS.test(code)) return undefined
  const folder = resolve(dataDir)
  const owner = `${user.uid}:${user.gid}`
  const [problem, fix] = existsSync(folder)
    ? [
        `DATA_DIR ${folder} (or its ${DATABASE_FILE}) cannot be written by this user`,
        `sudo chown -R ${owner} ${folder}`,
      ]
    : [
        `DATA_DIR ${folder} cannot be created by this user`,
        `sudo mkdir -p ${folder} && sudo chown -R ${owner} ${folder}`,
      ]
  return new DataDirNotWritable(
    `${problem} (uid ${user.uid}; ${code}): probably made by root, e.g. by the old ` +
      `siliconflowProxy's container. Fix: ${fix} (the Docker image entrypoint does this ` +
      'itself when the container starts as root), or point DATA_DIR at a folder this user owns.',
  )
}

function currentUser(): { uid: number; gid: number } {
  return { uid: process.getuid?.() ?? 1000, gid: process.getgid?.() ?? 1000 }
}

/**
 * Refuses a folder or database file this user cannot write before SQLite opens it: a read-only
 * file that is already migrated would otherwise open fine and fail at the first key added.
 */
function checkWritable(dataDir: string): void {
  const folder = resolve(dataDir)
  for (const path of [folder, join(folder, DATABASE_FILE)]) {
    if (existsSync(path)) accessSync(path, constants.W_OK)
  }
}

/**
 * `app.database` (plugin name `database`). Without DATABASE_URL: opens `DATA_DIR/api_keys.db`,
 * applies migrations and removes backup copies a crash left behind. With it: connects to
 * PostgreSQL and migrates under the advisory lock (instances booting together migrate once);
 * several instances share it in cluster mode (the server's `cluster` plugin leases the lanes).
 * Either way the database is closed last on shutdown.
 */
export const databasePlugin = fp<DatabasePluginOptions>(
  async (app, { dataDir, databaseUrl }) => {
    if (databaseUrl !== undefined) {
      const { openPostgres, claimSharedUse } = await import('./pg/index.js')
      const postgres = await openPostgres({
        url: databaseUrl,
        // An idle connection the server dropped is replaced by the pool at the next query.
        onIdleClientError: (error) =>
          app.log.warn({ code: (error as { code?: unknown }).code }, 'PostgreSQL connection lost'),
      })
      // Shared with the other servers on this database, never with a copy filling it.
      let release: () => Promise<void>
      try {
        release = await claimSharedUse(postgres, (error) =>
          app.log.warn(
            { code: (error as { code?: unknown }).code },
            'lost the connection that marks this server as using the database',
          ),
        )
      } catch (error) {
        await postgres.close()
        throw error
      }
      app.decorate('database', await postgresDatabaseOf(postgres))
      app.log.info({ schema: postgres.schema }, 'PostgreSQL database open')
      app.addHook('onClose', async () => {
        await release()
        await postgres.close()
        app.log.info('database closed')
      })
      return
    }
    let handle: ReturnType<typeof openDatabase>
    try {
      checkWritable(dataDir)
      handle = openDatabase({ dataDir })
    } catch (error) {
      throw explainDataDirFailure(error, dataDir) ?? error
    }
    app.decorate('database', databaseOf(handle))
    app.log.info({ path: handle.path }, 'database open')
    app.addHook('onClose', async () => {
      handle.close()
      app.log.info('database closed')
    })
    const removed = await removeLeftoverBackupCopies(backupFolderOf(handle))
    if (removed > 0) app.log.warn({ removed }, 'removed backup copies left by an interrupted run')
  },
  { name: 'database', fastify: '5.x' },
)
