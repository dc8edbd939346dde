import { randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, rm, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { FastifyPluginAsync } from 'fastify'

/**
 * `GET /api/manage/backup`: a consistent copy of the live database as a file download, made with
 * SQLite's online backup API while the server keeps serving (it copies pages in steps and restarts
 * a step if a write lands in between). It holds the upstream keys, like the export route.
 */
const backupRoutes: FastifyPluginAsync = async (app) => {
  app.get('/backup', async (_request, reply) => {
    const { handle } = app.database
    // Rows still queued in memory belong in the backup too.
    app.requestLog.flush()
    const folder = join(dirname(handle.path), 'backups')
    await mkdir(folder, { recursive: true })
    const file = join(folder, `backup-${randomUUID()}.db`)
    try {
      await handle.sqlite.backup(file)
      const { size } = await stat(file)
      const stamp = new Date().toISOString().replace(/[:.]/g, '-')
      const stream = createReadStream(file)
      // The temporary copy goes as soon as the download ends, however it ends.
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
