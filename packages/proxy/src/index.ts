import type { Readable } from 'node:stream'
// The `app.clock` augmentation (types only).
import type {} from '@sfp/runtime'
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { ALLOWED_METHODS, FORWARDED_METHODS, MethodNotAllowed } from './errors.js'
import { type ProxyPluginOptions, validateProxyOptions } from './options.js'
import { createProxyService, type ProxyService } from './service.js'
import type { ProxyDispatch } from './types.js'

declare module 'fastify' {
  interface FastifyInstance {
    proxy: ProxyService
  }
}

function decoration<T>(app: FastifyInstance, name: string): T {
  if (!app.hasDecorator(name)) {
    throw new Error(`The proxy plugin needs the "${name}" decoration or the matching option`)
  }
  return app.getDecorator<T>(name)
}

/**
 * The shared part (`app.proxy`): the undici transport and the forwarder, built once from the
 * options and closed with the app. Uses `app.keyPool` and `app.dispatch` unless given others.
 */
export const proxyPlugin = fp<ProxyPluginOptions>(
  async (app, options) => {
    validateProxyOptions(options)
    const service = createProxyService({
      ...options,
      dispatch: options.dispatch ?? decoration<ProxyDispatch>(app, 'dispatch'),
      clock: app.clock,
    })
    app.decorate('proxy', service)
    app.addHook('onClose', () => service.close())
  },
  { name: 'proxy', fastify: '5.x', dependencies: ['clock', 'dispatch'] },
)

/**
 * The one place the proxy routes judge a method: GET, POST and DELETE go on, anything else is
 * refused with 405 `method_not_allowed` and `Allow: GET, POST, DELETE` (the error returned goes
 * to the routes' error handler, which answers it in the envelope and logs its record), before any
 * body is read or anything queued.
 * Runs after the client key is checked, so a request without one gets 401 whatever its method.
 * (A CORS preflight is answered before both, without a key, by the server's CORS plugin, which
 * `app.ts` registers in front of these routes; an OPTIONS that is not one still ends here.)
 */
function unforwardedMethodRefusal(
  request: FastifyRequest,
  reply: FastifyReply,
): MethodNotAllowed | undefined {
  if (FORWARDED_METHODS.has(request.method)) return undefined
  reply.header('allow', ALLOWED_METHODS)
  return new MethodNotAllowed(request.method)
}

/**
 * The proxy routes, registered once per prefix (`/v1` and `/api/proxy`): `GET`, `POST` and
 * `DELETE <prefix>/*` go to `UPSTREAM_BASE_URL/v1/*`; other methods get 405. Encapsulated, so its
 * body parsers stay here: JSON is read as bytes (up to BODY_LIMIT_MB), any other body is left as
 * the raw request stream for the forwarder to receive whole. Either way a body that stops
 * arriving for CLIENT_BODY_IDLE_TIMEOUT_MS gets 408.
 * @see README "How it behaves"
 */
export const proxyRoutes: FastifyPluginAsync = async (app) => {
  const { proxy, prefix } = app
  app.removeAllContentTypeParsers()
  // JSON is read here, whole, with the limit and the receive timeout; the forwarder receives any
  // other body whole itself, under the same two rules.
  app.addContentTypeParser('application/json', (request, payload, done) => {
    proxy.receiveJson(payload as Readable, request.headers['content-length']).then(
      (body) => done(null, body),
      (error: Error) => done(error),
    )
  })
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload))
  // Callback hooks, not async ones: they run on every proxied request, and an async hook costs
  // a promise each. A request refused with 401 is answered at once (`done` is not called).
  app.addHook('onRequest', (request, reply, done) => {
    if (proxy.authenticate(request, reply, prefix) === undefined) done()
  })
  app.addHook('onRequest', (request, reply, done) => done(unforwardedMethodRefusal(request, reply)))
  app.setErrorHandler((error, request, reply) => proxy.handleError(error, request, reply, prefix))
  const handler = (request: FastifyRequest, reply: FastifyReply) => {
    proxy.handle(request, reply, prefix)
  }
  // Every method Fastify routes comes here (HEAD included, so none is answered for GET behind
  // our back); the hook above lets only the forwarded ones through.
  app.all('/*', handler)
  // The rest of this prefix: methods Fastify does not route (PROPFIND, COPY, ...), refused by the
  // same hook, and the bare prefix, which the handler answers 404 (it names no upstream path).
  app.setNotFoundHandler(handler)
}

export default proxyPlugin

export {
  type AttemptResult,
  classifyAttempt,
  parseRetryAfter,
  upstreamErrorMessage,
} from './classify.js'
export * from './errors.js'
export {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  decideNextStep,
  type NextStep,
  type RetryPolicy,
  retryPolicy,
} from './failover.js'
export { createForwarder } from './forward.js'
export { FORWARDED_REQUEST_HEADERS, presentedClientKey, RETURNED_HEADERS } from './headers.js'
export type {
  AdmitClientRequest,
  ClientIdentity,
  ClientRefusal,
  ProxyPluginOptions,
  ProxySettings,
  VerifyClientKey,
} from './options.js'
export { RawReply, type RawReplyHooks } from './raw-reply.js'
export type { ProxyRequestRecord } from './record.js'
export {
  createProxyService,
  type FrontDoorRoute,
  type JsonRequest,
  type ProxyService,
  plainUpstreamPath,
  upstreamPathOf,
} from './service.js'
export { type SseEvent, SseParser } from './sse-parser.js'
export {
  createTransport,
  type Transport,
  type TransportOptions,
  type UpstreamRequest,
  type UpstreamResponse,
} from './transport.js'
export type {
  Forwarder,
  ForwarderDeps,
  ProxyCall,
  ProxyDispatch,
  ProxyReply,
  ProxyRequest,
} from './types.js'
export { type TokenUsage, usageFromJson, usageFromSseEvent } from './usage.js'
