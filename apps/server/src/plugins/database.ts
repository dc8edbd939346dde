import { randomUUID } from 'node:crypto'
import { readdir, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import {
  type ClientKeysRepository,
  createClientKeysRepository,
  createEgressesRepository,
  createKeyEventsRepository,
  createRequestLogRepository,
  createSettingsStore,
  createUpstreamKeysRepository,
  type DatabaseHandle,
  type EgressesRepository,
  type KeyEventsRepository,
  openDatabase,
  type RequestLogRepository,
  type SettingsStore,
  type UpstreamKeysRepository,
} from '@sfp/db'
import fp from 'fastify-plugin'

export interface Database {
  handle: DatabaseHandle
  settings: SettingsStore
  upstreamKeys: UpstreamKeysRepository
  egresses: EgressesRepository
  clientKeys: ClientKeysRepository
  requestLogs: RequestLogRepository
  keyEvents: KeyEventsRepository
}

declare module 'fastify' {
  interface FastifyInstance {
    database: Database
  }
}

export interface DatabasePluginOptions {
  dataDir: string
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

/**
 * Opens `DATA_DIR/api_keys.db`, applies migrations, removes backup copies a crash left behind,
 * and closes the database last on shutdown.
 */
export default fp<DatabasePluginOptions>(
  async (app, { dataDir }) => {
    const handle = openDatabase({ dataDir })
    const { db } = handle
    app.decorate('database', {
      handle,
      settings: createSettingsStore(db),
      upstreamKeys: createUpstreamKeysRepository(db),
      egresses: createEgressesRepository(db),
      clientKeys: createClientKeysRepository(db),
      requestLogs: createRequestLogRepository(db),
      keyEvents: createKeyEventsRepository(db),
    })
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
