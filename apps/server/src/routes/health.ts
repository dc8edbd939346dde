import { isMigrated } from '@sfp/db'
import type { FastifyPluginAsync } from 'fastify'

/** Liveness and readiness for orchestrators; no auth, no secrets, nothing upstream. */
const health: FastifyPluginAsync = async (app) => {
  app.get('/healthz', async () => ({ status: 'ok' }))

  app.get('/readyz', async (_request, reply) => {
    const ready = isMigrated(app.database.handle)
    return reply
      .status(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : 'not_ready', database: ready })
  })
}

export default health
