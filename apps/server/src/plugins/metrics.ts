// Types only: the `app.dispatch` and `app.keyPool` augmentations of their plugins.
import type {} from '@sfp/dispatch'
import type {} from '@sfp/key-pool'
import { upstreamPathOf } from '@sfp/proxy'
import { maskSecret } from '@sfp/schemas'
import fp from 'fastify-plugin'
import { proxyEndpointOfUpstreamPath } from '../metrics/proxy-endpoint.js'
import { createServerMetrics, type ServerMetrics } from '../metrics/server-metrics.js'
import { secretsEqual } from '../password.js'
import { PROXY_PREFIXES, proxyRoutePattern } from '../proxy-prefixes.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Prometheus metrics of this instance; `GET /metrics` serves `metrics.registry`. */
    metrics: ServerMetrics
  }
}

/** The route label of a request that matched no route (a 404): raw URLs would be unbounded. */
export const UNMATCHED_ROUTE = 'unmatched'

/** The proxy's route patterns and the prefix that stands for `/v1` in each. */
const PROXY_ROUTE_PREFIXES = new Map(
  PROXY_PREFIXES.map((prefix) => [proxyRoutePattern(prefix), prefix]),
)

/** A request answered, as the HTTP-response metric counts it. */
export interface AnsweredRequest {
  /** The route pattern (`/v1/*`); none when no route matched. */
  route: string | undefined
  method: string
  url: string
  status: number
  /** The upstream path `url` maps to, when the caller has it already (else worked out here). */
  upstreamPath?: string
}

/**
 * One answered request: its route pattern, and on the proxy routes the endpoint of the upstream
 * path the proxy maps it to (the same label as on the proxy's own metrics). The `onResponse` hook
 * below and the server's front door (src/http/front-door.ts) both count through it.
 */
export function observeAnswer(metrics: ServerMetrics, answered: AnsweredRequest): void {
  const route = answered.route ?? UNMATCHED_ROUTE
  const proxyPrefix = PROXY_ROUTE_PREFIXES.get(route)
  const endpoint =
    proxyPrefix === undefined
      ? undefined
      : proxyEndpointOfUpstreamPath(
          answered.upstreamPath ?? upstreamPathOf(answered.url, proxyPrefix),
        )
  metrics.observeHttpResponse({ route, method: answered.method, status: answered.status, endpoint })
}

/**
 * `app.metrics`: a registry of its own per app instance (several instances in one process, as in
 * the tests, must not collide in prom-client's global one). The proxy's records are fed in by
 * app.ts; HTTP responses, key switches and the request log's flushes are subscribed to here; the
 * dispatch and key pool gauges are read at scrape time.
 */
export interface MetricsPluginOptions {
  /** Secrets from the settings (ADMIN_PASSWORD, ENCRYPTION_KEY when set): never a label. */
  settingSecrets?: readonly string[]
}

export default fp<MetricsPluginOptions>(
  async (app, { settingSecrets = [] }) => {
    /**
     * A secret set in the settings, a client key (PROXY_API_KEYS or the dashboard's, checked by
     * hash) or an upstream key (compared by its stored mask: a false match only costs a model its
     * own label). A generated admin password is kept only as an scrypt hash, too slow to check
     * here; the model-id shape keeps it out (it has no `/`).
     */
    function isSecret(value: string): boolean {
      if (settingSecrets.some((secret) => secretsEqual(value, secret))) return true
      if (app.clientKeys.verify(value) !== undefined) return true
      const masked = maskSecret(value)
      return app.keyPool.list({ offset: 0 }).keys.some((key) => key.maskedKey === masked)
    }

    const metrics = createServerMetrics({
      dispatchStatus: () => app.dispatch.status().dispatch,
      laneStatus: () => app.dispatch.status().egresses,
      poolStatus: () => app.keyPool.status(),
      requestLogBacklog: app.requestLog,
      isSecret,
    })
    app.decorate('metrics', metrics)

    const stopCountingSwitches = app.dispatch.onSwitch((event) => metrics.observeKeySwitch(event))
    const stopTimingCluster = app.cluster.onTiming((timing) => metrics.observeClusterTiming(timing))
    // Never unsubscribed: the last flush on close is timed too; the request log then drops it.
    app.requestLog.onFlush((flush) => metrics.observeRequestLogFlush(flush))

    // Each answered request once. A callback hook: it runs on every request, and an async hook
    // costs a promise each.
    app.addHook('onResponse', (request, reply, done) => {
      const { method, url } = request
      observeAnswer(metrics, {
        route: request.routeOptions.url,
        method,
        url,
        status: reply.statusCode,
      })
      done()
    })

    app.addHook('onClose', async () => {
      stopCountingSwitches()
      stopTimingCluster()
    })
  },
  {
    name: 'metrics',
    fastify: '5.x',
    dependencies: ['client-keys', 'key-pool', 'dispatch', 'request-log', 'cluster'],
  },
)
