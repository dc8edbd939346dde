/**
 * Where the proxy routes are served: the SDK base-URL swap, and the older route some clients
 * still use (docs/behaviour.md §3). `app.ts` registers the proxy's routes under each, the server's
 * front door takes their JSON requests (src/http/front-door.ts), and the HTTP metric labels their
 * answers with the route pattern (plugins/metrics.ts).
 */
export const PROXY_PREFIXES = ['/v1', '/api/proxy'] as const

/** A prefix's route pattern as Fastify reports it (`routeOptions.url`): `@sfp/proxy` serves `/*`. */
export const proxyRoutePattern = (prefix: string) => `${prefix}/*`
