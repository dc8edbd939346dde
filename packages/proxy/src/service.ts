import { rm } from 'node:fs/promises'
import { setTimeout as sleepFor } from 'node:timers/promises'
import type { Clock } from '@sfp/runtime'
import { type ApiErrorCode, errorBody, type ProxyErrorCode } from '@sfp/schemas'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { InvalidClientKey, proxyErrorAnswer, proxyErrorBody } from './errors.js'
import { retryPolicy } from './failover.js'
import { createForwarder } from './forward.js'
import { presentedClientKey } from './headers.js'
import type { ProxyPluginOptions } from './options.js'
import { newRecord, noteError } from './record.js'
import { SlowReaders } from './slow-readers.js'
import { createSpoolFolder } from './spool-folder.js'
import { createTransport, type Transport } from './transport.js'
import type { ProxyDispatch } from './types.js'

/**
 * The proxy as the routes use it: the transport and forwarder built from the plugin options, and
 * the three steps of a route (authenticate, handle, answer errors). Kept apart from Fastify's
 * registration so that it can be built and closed in tests on its own.
 */
export interface ProxyService {
  readonly bodyLimitBytes: number
  readonly clientBodyIdleTimeoutMs: number
  /** onRequest hook: 401 without an accepted client key, before any body is read. */
  authenticate(
    request: FastifyRequest,
    reply: FastifyReply,
    prefix: string,
  ): FastifyReply | undefined
  /** The route handler: starts forwarding; the answer is sent asynchronously. */
  handle(request: FastifyRequest, reply: FastifyReply, prefix: string): void
  /** Error handler of the routes: the proxy's errors in the error envelope, others rethrown. */
  handleError(error: unknown, request: FastifyRequest, reply: FastifyReply, prefix: string): void
  close(): Promise<void>
}

export interface ProxyServiceDeps extends ProxyPluginOptions {
  dispatch: ProxyDispatch
  /** The server's clock (`app.clock`): request durations. */
  clock: Clock
  /** Default: the transport built from the settings. */
  transport?: Transport
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

/**
 * `/api/proxy/<rest>` and `/v1/<rest>` both become `/v1/<rest>` (query kept). Null when the path
 * would leave `/v1/` once normalized (`..`, `%2e%2e`). Runs twice per proxied request (the route
 * and its metrics): a plain rest, nearly every request's, is taken as it is, since the URL parser
 * would return it unchanged at 1.6 % of the server's CPU (bench/README.md "Profile").
 */
export function upstreamPathOf(url: string, prefix: string): string | null {
  if (!url.startsWith(`${prefix}/`)) return null
  const rest = url.slice(prefix.length)
  if (PLAIN_REST.test(rest) && !DOT_SEGMENT.test(rest)) return `/v1${rest}`
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
  const contexts = new WeakMap<FastifyRequest, RequestContext>()

  /** A request answered before the forwarder took it still gets its log row. */
  function recordRejection(
    request: FastifyRequest,
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

  return {
    bodyLimitBytes: settings.bodyLimitBytes,
    clientBodyIdleTimeoutMs: settings.clientBodyIdleTimeoutMs,

    authenticate(request, reply, prefix) {
      const startedAt = now()
      const presented = presentedClientKey(request.headers)
      const identity = presented === undefined ? undefined : verifyClientKey(presented)
      if (identity !== undefined) {
        contexts.set(request, { clientKeyId: identity.clientKeyId, startedAt, forwarded: false })
        return undefined
      }
      const { message } = new InvalidClientKey()
      const code = 'invalid_client_key'
      recordRejection(request, prefix, { clientKeyId: null, startedAt, status: 401, code, message })
      return reply.code(401).send(errorBody(code, message))
    },

    handle(request, reply, prefix) {
      const context = contexts.get(request)
      const upstreamPath = upstreamPathOf(request.url, prefix)
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
      forwarder
        .forward({ request, reply, upstreamPath, clientKeyId, startedAt, clientIp: request.ip })
        .catch((error: unknown) => request.log.error({ err: error }, 'proxy request failed'))
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

    async close() {
      slowReaders.close()
      await rm(spoolDir, { recursive: true, force: true })
    },
  }
}
