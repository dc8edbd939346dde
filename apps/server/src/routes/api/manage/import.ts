import { dismissLegacyImport, readLegacyImport } from '@sfp/db'
import type { LegacyImportResponse } from '@sfp/schemas'
import type { FastifyPluginAsync } from 'fastify'
import { NotFound } from '../../../errors.js'

/**
 * The import of the old siliconflowProxy database (README "Moving from siliconflowProxy"): its
 * summary for the dashboard's one-time notice, and the admin's "seen it". The summary holds
 * counts and masked rows only.
 */
const importRoutes: FastifyPluginAsync = async (app) => {
  app.get('/import', async (): Promise<LegacyImportResponse> => {
    const { handle } = app.database
    // On PostgreSQL there are no old tables beside ours: nothing was imported.
    const recorded = handle === undefined ? undefined : readLegacyImport(handle)
    return recorded ?? { summary: null, dismissed: false }
  })

  app.post('/import/dismiss', async (_request, reply) => {
    const { handle } = app.database
    if (handle === undefined || !dismissLegacyImport(handle, app.clock.now())) {
      throw new NotFound('No siliconflowProxy import to dismiss')
    }
    return reply.status(204).send()
  })
}

export default importRoutes
