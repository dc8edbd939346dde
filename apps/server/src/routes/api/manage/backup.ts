import { createReadStream } from 'node:fs'
import { mkdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { backupCopyName, backupFolderOf } from '@sfp/db'
import type { FastifyPluginAsync } from 'fastify'
import { BackupSqliteOnly } from '../../../errors.js'

/**
 * Pages copied per step of the online backup (256 KB at SQLite's default 4 KB page): a few ms of
 * copying, then the event loop serves whatever came in before the next step.
 */
const BACKUP_PAGES_PER_STEP = 64

/**
 * `GET /api/manage/backup`: a consistent copy of the live database as a file download, made with
 * SQLite's online backup API while the server keeps serving (it copies pages in steps; writes made
 * through this connection meanwhile are carried into the copy). It holds the upstream keys, like
 * the export route. The copy is written to `DATA_DIR/backups`, streamed, then removed.
 */
const backupRoutes: FastifyPluginAsync = async (app) => {
  app.get('/backup', async (_request, reply) => {
    const { handle } = app.database
    if (handle === undefined) throw new BackupSqliteOnly()
    // Rows still queued in memory belong in the backup too.
    await app.requestLog.catchUp()
    const folder = backupFolderOf(handle)
    await mkdir(folder, { recursive: true })
    const file = join(folder, backupCopyName())
    try {
      await handle.sqlite.backup(file, { progress: () => BACKUP_PAGES_PER_STEP })
      const { size } = await stat(file)
      const stamp = new Date().toISOString().replace(/[:.]/g, '-')
      const stream = createReadStream(file)
      // The copy goes as soon as the download ends, however it ends: Fastify destroys the stream
      // when the client leaves, and a read error closes it too.
      stream.once('close', () => void rm(file, { force: true }))
      return reply
        .header('content-type', 'application/vnd.sqlite3')
        .header('content-length', String(size))
        .header('content-disposition', `attachment; filename="sfp-backup-${stamp}.db"`)
        .header('cache-control', 'no-store')
        .send(stream)
    } catch (error) {
      await rm(file, { force: true })
      throw error
    }
  })
}

export default backupRoutes
