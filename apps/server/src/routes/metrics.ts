import type { FastifyPluginAsync } from 'fastify'

/**
 * `GET /metrics`: Prometheus text exposition (`text/plain; version=0.0.4`), behind the admin
 * login like the admin API (docs/behaviour.md §3). Labels carry key ids, never keys.
 */
const metricsRoutes: FastifyPluginAsync = async (app) => {
  app.addHook('onRequest', app.adminAuth)
  app.get('/metrics', async (_request, reply) => {
    const { registry } = app.metrics
    const text = await registry.metrics()
    return reply.header('cache-control', 'no-store').type(registry.contentType).send(text)
  })
}

export default metricsRoutes
