// Types only: the `app.dispatch` and `app.keyPool` augmentations of their plugins.
import type {} from '@sfp/dispatch'
import type {} from '@sfp/key-pool'
import fp from 'fastify-plugin'
import { createServerMetrics, type ServerMetrics } from '../metrics/server-metrics.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Prometheus metrics of this instance; `GET /metrics` serves `metrics.registry`. */
    metrics: ServerMetrics
  }
}

/** The route label of a request that matched no route (a 404): raw URLs would be unbounded. */
export const UNMATCHED_ROUTE = 'unmatched'

/**
 * `app.metrics`: a registry of its own per app instance (several instances in one process, as in
 * the tests, must not collide in prom-client's global one). The proxy's records and the request
 * log's flushes are fed in by app.ts; HTTP responses and key switches are counted here; the
 * dispatch and key pool gauges are read at scrape time.
 */
export default fp(
  async (app) => {
    const metrics = createServerMetrics({
      dispatchStatus: () => app.dispatch.status().dispatch,
      poolStatus: () => app.keyPool.status(),
      requestLogBacklog: app.requestLog,
    })
    app.decorate('metrics', metrics)

    const stopCountingSwitches = app.dispatch.onSwitch((event) => metrics.observeKeySwitch(event))

    app.addHook('onResponse', async (request, reply) => {
      metrics.httpRequests.inc({
        route: request.routeOptions.url ?? UNMATCHED_ROUTE,
        method: request.method,
        status: String(reply.statusCode),
      })
    })

    app.addHook('onClose', async () => {
      stopCountingSwitches()
    })
  },
  { name: 'metrics', fastify: '5.x', dependencies: ['key-pool', 'dispatch', 'request-log'] },
)
