import { rm } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import { setTimeout as sleepFor } from 'node:timers/promises'
import type { Clock } from '@sfp/runtime'
import { type ApiErrorCode, errorBody, type ProxyErrorCode } from '@sfp/schemas'
import { InvalidClientKey, proxyErrorAnswer, proxyErrorBody } from './errors.js'
import { retryPolicy } from './failover.js'
import { createForwarder } from './forward.js'
import { presentedClientKey } from './headers.js'
import type { ProxyPluginOptions } from './options.js'
import { receiveJson } from './receive-body.js'
import { newRecord, noteError } from './record.js'
import { SlowReaders } from './slow-readers.js'
import { createSpoolFolder } from './spool-folder.js'
import { createTransport, type Transport } from './transport.js'
import type { ProxyDispatch, ProxyReply, ProxyRequest } from './types.js'

/**
 * The proxy as the routes use it: the transport and forwarder built from the plugin options, and
 * the three steps of a route (authenticate, handle, answer errors). Kept apart from Fastify's
 * registration so that it can be built and closed in tests on its own.
 */
export interface ProxyService {
  /**
   * A JSON body received whole under the routes' rules: BODY_LIMIT_MB (413) and
   * CLIENT_BODY_IDLE_TIMEOUT_MS (408).
   */
  receiveJson(source: Readable, declaredLength: string | undefined): Promise<Buffer>
  /** onRequest hook: 401 without an accepted client key, before any body is read. */
  authenticate(request: ProxyRequest, reply: ProxyReply, prefix: string): ProxyReply | undefined
  /** The route handler: starts forwarding; the answer is sent asynchronously. */
  handle(request: ProxyRequest, reply: ProxyReply, prefix: string): void
  /** Error handler of the routes: the proxy's errors in the error envelope, others rethrown. */
  handleError(error: unknown, request: ProxyRequest, reply: ProxyReply, prefix: string): void
  /**
   * The server's front door (apps/server/src/http/front-door.ts): a request with a JSON body to
   * a proxy route, taken before Fastify. Returns false, having done nothing, when its client key
   * is not accepted: the routes then refuse it (401, recorded) as any other. Otherwise its body
   * is received under the routes' rules (`receiveJson`), then it is handled as the route's
   * handler would (`handle`, with the upstream path the front door already worked out); a refused body goes to `reply.send(error)`, which answers it as
   * their error handlers would.
   */
  takeJson(request: JsonRequest, reply: ProxyReply, route: FrontDoorRoute): boolean
  close(): Promise<void>
}

export interface ProxyServiceDeps extends ProxyPluginOptions {
  dispatch: ProxyDispatch
  /** The server's clock (`app.clock`): request durations. */
  clock: Clock
  /** Default: the transport built from the settings. */
  transport?: Transport
}

/** Where a front-door request goes: its route's prefix and the upstream path it maps to. */
export interface FrontDoorRoute {
  prefix: string
  upstreamPath: string
}

/** A request the front door takes: its body is set here once received. */
export interface JsonRequest extends ProxyRequest {
  body: unknown
}

interface RequestContext {
  clientKeyId: number | null
  startedAt: number
  /** The handler took over: it writes the record. */
  forwarded: boolean
}

/** An answer given before forwarding started. */
interface Rejection {
  status: number
  code: ProxyErrorCode | ApiErrorCode
  message: string
}

const abortableSleep = (ms: number, signal: AbortSignal) => sleepFor(ms, undefined, { signal })

/**
 * A rest of the URL that WHATWG URL parsing leaves exactly as it is: unreserved characters and
 * `/` in the path, a non-empty query of characters it does not escape, no fragment, and no dot
 * segment (`.` or `..` between slashes; `%` is not let through at all in the path, so neither is
 * `%2e`). Anything else goes to the parser.
 */
const PLAIN_REST = /^[\w\-.~/]*(?:\?[\w\-.~/=&%+,:;@!$*()?]+)?$/
const DOT_SEGMENT = /\/\.{1,2}(?:[/?]|$)/

const isPlainRest = (rest: string) => PLAIN_REST.test(rest) && !DOT_SEGMENT.test(rest)

/**
 * `<prefix>/<rest>` as `/v1/<rest>` when the rest is plain (above), else null. The server's front
 * door takes only such URLs: Fastify's router would route them to the proxy routes unchanged.
 */
export function plainUpstreamPath(url: string, prefix: string): string | null {
  if (!url.startsWith(`${prefix}/`)) return null
  const rest = url.slice(prefix.length)
  return isPlainRest(rest) ? `/v1${rest}` : null
}

/**
 * `/api/proxy/<rest>` and `/v1/<rest>` both become `/v1/<rest>` (query kept). Null when the path
 * would leave `/v1/` once normalized (`..`, `%2e%2e`). Runs twice per proxied request that comes
 * through Fastify (the route and its metrics; the front door works it out once and hands it on):
 * a plain rest, nearly every request's, is taken as it is, since the URL parser would return it
 * unchanged at 1.6 % of the server's CPU (bench/README.md "Profile").
 */
export function upstreamPathOf(url: string, prefix: string): string | null {
  if (!url.startsWith(`${prefix}/`)) return null
  const rest = url.slice(prefix.length)
  if (isPlainRest(rest)) return `/v1${rest}`
  const target = new URL(`/v1${rest}`, 'http://upstream.invalid')
  return target.pathname.startsWith('/v1/') ? `${target.pathname}${target.search}` : null
}

export function createProxyService(deps: ProxyServiceDeps): ProxyService {
  const { settings, verifyClientKey } = deps
  const { now } = deps.clock
  const onComplete = deps.onComplete ?? (() => {})
  // Uploads larger than UPLOAD_MEMORY_BYTES wait here while their request lasts.
  const spoolDir = createSpoolFolder()
  const transport =
    deps.transport ??
    createTransport({
      baseUrl: settings.upstreamBaseUrl,
      headersTimeoutMs: settings.upstreamHeadersTimeoutMs,
      bodyIdleTimeoutMs: settings.upstreamBodyIdleTimeoutMs,
    })
  const slowReaders = new SlowReaders(settings.upstreamBodyIdleTimeoutMs, deps.clock.setTimer)
  const forwarder = createForwarder({
    transport,
    dispatch: deps.dispatch,
    policy: retryPolicy(settings.upstreamRetries, deps.retry),
    bodyLimitBytes: settings.bodyLimitBytes,
    spoolDir,
    clientBodyIdleTimeoutMs: settings.clientBodyIdleTimeoutMs,
    slowReaders,
    onComplete,
    admit: deps.admit,
    now,
    sleep: deps.sleep ?? abortableSleep,
    random: deps.random ?? Math.random,
  })
  const contexts = new WeakMap<ProxyRequest, RequestContext>()

  /** A request answered before the forwarder took it still gets its log row. */
  function recordRejection(
    request: ProxyRequest,
    prefix: string,
    rejection: Rejection & Pick<RequestContext, 'clientKeyId' | 'startedAt'>,
  ): void {
    const { clientKeyId, startedAt, status, code, message } = rejection
    const path = (upstreamPathOf(request.url, prefix) ?? request.url).split('?')[0] ?? ''
    const { id: requestId, method } = request
    const clientIp = request.ip ?? null
    const record = newRecord({ time: startedAt, requestId, clientKeyId, method, path, clientIp })
    record.status = status
    record.durationMs = Math.max(0, Math.round(now() - startedAt))
    noteError(record, { type: code, params: null }, message)
    try {
      onComplete(record)
    } catch (error) {
      request.log.error({ err: error }, 'the request record could not be taken')
    }
  }

  /**
   * The client key check both entrances make (the routes' `authenticate`, the front door's
   * `takeJson`): true, with the request's context kept, when its key is accepted.
   */
  function admit(request: ProxyRequest, startedAt: number): boolean {
    const presented = presentedClientKey(request.headers)
    const identity = presented === undefined ? undefined : verifyClientKey(presented)
    if (identity === undefined) return false
    contexts.set(request, { clientKeyId: identity.clientKeyId, startedAt, forwarded: false })
    return true
  }

  /** The handler's work once the upstream path is known (null: it names none, 404). */
  function forwardTo(
    request: ProxyRequest,
    reply: ProxyReply,
    prefix: string,
    upstreamPath: string | null,
  ): void {
    const context = contexts.get(request)
    if (context === undefined || upstreamPath === null) {
      const message = 'No such proxy route'
      const { clientKeyId, startedAt } = context ?? { clientKeyId: null, startedAt: now() }
      const rejection = {
        clientKeyId,
        startedAt,
        status: 404,
        code: 'not_found',
        message,
      } as const
      recordRejection(request, prefix, rejection)
      reply.code(404).send(errorBody('not_found', message))
      return
    }
    context.forwarded = true
    const { clientKeyId, startedAt } = context
    const clientIp = request.ip ?? null
    forwarder
      .forward({ request, reply, upstreamPath, clientKeyId, startedAt, clientIp })
      .catch((error: unknown) => request.log.error({ err: error }, 'proxy request failed'))
  }

  const receiveLimits = { limit: settings.bodyLimitBytes, idleMs: settings.clientBodyIdleTimeoutMs }

  const service: ProxyService = {
    receiveJson: (source, declaredLength) => receiveJson(source, declaredLength, receiveLimits),

    authenticate(request, reply, prefix) {
      const startedAt = now()
      if (admit(request, startedAt)) return undefined
      const { message } = new InvalidClientKey()
      const code = 'invalid_client_key'
      recordRejection(request, prefix, { clientKeyId: null, startedAt, status: 401, code, message })
      return reply.code(401).send(errorBody(code, message))
    },

    handle(request, reply, prefix) {
      forwardTo(request, reply, prefix, upstreamPathOf(request.url, prefix))
    },

    handleError(error, request, reply, prefix) {
      const answer = proxyErrorAnswer(error)
      if (answer === undefined) throw error
      const context = contexts.get(request)
      if (context !== undefined && !context.forwarded) {
        recordRejection(request, prefix, { ...context, ...answer })
      }
      if (answer.retryAfterSeconds !== undefined) {
        reply.header('retry-after', String(answer.retryAfterSeconds))
      }
      reply.code(answer.status).send(proxyErrorBody(answer))
    },

    takeJson(request, reply, { prefix, upstreamPath }) {
      if (!admit(request, now())) return false
      service.receiveJson(request.raw, request.headers['content-length']).then(
        (body) => {
          request.body = body
          forwardTo(request, reply, prefix, upstreamPath)
        },
        // The reply answers it as the routes' error handlers would (`RawReply`'s `onError`).
        (error: Error) => reply.send(error),
      )
      return true
    },

    async close() {
      slowReaders.close()
      await rm(spoolDir, { recursive: true, force: true })
    },
  }
  return service
}
