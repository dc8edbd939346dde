import { randomUUID } from 'node:crypto'
import { ShuttingDown } from '@sfp/dispatch'
import { type Config, errorBody } from '@sfp/schemas'
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  LogController,
} from 'fastify'
import fp from 'fastify-plugin'
import app, { type AppOptions } from './app.js'
import { closeConnectionsAfterRefusals } from './http/after-answer.js'
import { createClientErrorHandler } from './http/client-error.js'
import { acceptEmptyBodies } from './http/empty-body.js'
import { createFrontDoor } from './http/front-door.js'
import { createServerFactory, GatewayServer } from './http/gateway-server.js'
import { corsAnswerHeaders } from './plugins/cors.js'
import { answerError } from './plugins/error-handler.js'
import { observeAnswer } from './plugins/metrics.js'
import { PROXY_PREFIXES } from './proxy-prefixes.js'
import { lazyRequestLogger } from './request-logger.js'

/**
 * After a refusal, how long a connection is still read (the rest of the request discarded) before
 * it is closed, so that a client still writing reads the answer instead of a reset.
 */
export const REFUSAL_LINGER_MS = 5000

/**
 * Headers that carry secrets; pino blanks them wherever they appear in a log line.
 * Fastify's request serializer logs no headers, this guards anything that logs them by hand.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers.cookie',
  'res.headers["set-cookie"]',
]

export function loggerOptions(config: Config): FastifyServerOptions['logger'] {
  return {
    level: config.logLevel,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  }
}

/**
 * A malformed percent-escape or an over-long path parameter is refused by the router before any
 * route or error handler runs: answer it in the error envelope too (400 / 414).
 */
function refuseMalformedUrl(error: FastifyError, _request: FastifyRequest, reply: FastifyReply) {
  const status = error.statusCode ?? 400
  reply.code(status).send(errorBody('validation_error', 'The URL is malformed or too long'))
}

/**
 * TRUST_PROXY trusts one hop: the reverse proxy directly in front (the socket's peer), so the
 * client's address is the last `X-Forwarded-For` entry, the one that proxy added. `true` would
 * trust every hop and take the first entry, which the client writes itself: rotating it would get
 * round the failed-login throttle. (Fastify 5 refuses a hop count, `trustProxy: 1`, trusting none.)
 */
const trustNearestProxy = (_address: string, hop: number) => hop === 0

/** A request's id: ours only, a client-chosen one would end up in our logs unchecked. */
const newRequestId = () => randomUUID()

/**
 * The one line per request (see `logController` above): a failed answer (5xx) at `info`, others
 * at `debug`. Nothing is built for a line the logger would drop (a success, at the default
 * `info` level). Fastify's `onResponse` hook and the front door both log through it.
 */
function requestCompletedLine(level: string) {
  const logsSuccesses = level === 'debug' || level === 'trace'
  return (log: FastifyBaseLogger, method: string, url: string, status: number, ms: number) => {
    const failed = status >= 500
    if (!failed && !logsSuccesses) return
    // The path without its query string: queries are the client's and stay out of the log.
    const line = { method, path: url.split('?', 1)[0], status, ms: Math.round(ms) }
    if (failed) log.info(line, 'request completed')
    else log.debug(line, 'request completed')
  }
}

export interface BuildServerOptions extends Omit<AppOptions, 'config'> {
  logger?: FastifyServerOptions['logger']
}

/** The Fastify instance with the app registered, not yet listening (tests use `inject`). */
export async function buildServer(
  config: Config,
  options: BuildServerOptions = {},
): Promise<FastifyInstance> {
  const { logger = loggerOptions(config), ...appOptions } = options
  const receive = {
    headersTimeoutMs: config.clientHeadersTimeoutMs,
    requestTimeoutMs: config.clientRequestTimeoutMs,
    lingerMs: REFUSAL_LINGER_MS,
  }
  const fastify: FastifyInstance = Fastify({
    logger,
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy ? trustNearestProxy : false,
    requestIdHeader: false,
    genReqId: newRequestId,
    // The Node server: strict parsing, CLIENT_HEADERS_TIMEOUT_MS / CLIENT_REQUEST_TIMEOUT_MS
    // (time to receive a request; Node stops the clock once it is in, so upstream answers may
    // take minutes), and shutdown's handling of idle connections. See src/http/README.md.
    serverFactory: createServerFactory(receive),
    // What Node's parser refuses, and those timeouts, answered in the envelope.
    clientErrorHandler: createClientErrorHandler(receive, () => fastify.log),
    // The gateway server closes idle connections itself, once no request is in progress.
    forceCloseConnections: false,
    // Requests arriving during shutdown are refused below, in the error envelope, instead of
    // with Fastify's own 503 body.
    return503OnClosing: false,
    frameworkErrors: refuseMalformedUrl,
    // One line per request (below) instead of Fastify's two, and at `debug` unless it failed:
    // a log line is ~8% of a proxied request's CPU, and the request log already holds them all.
    logController: new LogController({ disableRequestLogging: true }),
    // The request's logger is made when it first logs: a proxied request that succeeds never does.
    childLoggerFactory: lazyRequestLogger,
  })
  // Set once `close()` starts: a request that still arrives (on a connection opened before) gets
  // 503 shutting_down, and Fastify adds `Connection: close` to it.
  let closing = false
  fastify.addHook('preClose', async () => {
    closing = true
    // Every answer from now on closes its connection (`Connection: close`).
    if (fastify.server instanceof GatewayServer) fastify.server.beginShutdown()
  })
  // Callback hooks, here and below: they run on every request, and an async hook costs a promise
  // each (bench/README.md "Fourth pass").
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id)
    done(closing ? new ShuttingDown() : undefined)
  })
  // A refused client is not read any further: `Connection: close` (README "Operations"). After
  // an error to an accepted request whose body is still arriving (413), up to twice the body
  // limit is read and discarded: a client that reads only once it has sent its whole body (a
  // declared 60 MB against 50) still gets to read its 413.
  const lingerBytes = 2 * config.bodyLimitBytes
  closeConnectionsAfterRefusals(fastify, { lingerBytes })
  // An empty body is no body, whatever its content type (src/http/empty-body.ts).
  acceptEmptyBodies(fastify)
  const logCompleted = requestCompletedLine(fastify.log.level)
  fastify.addHook('onResponse', (request, reply, done) => {
    logCompleted(request.log, request.method, request.url, reply.statusCode, reply.elapsedTime)
    done()
  })
  try {
    // fp: the app's decorations (database, keyPool, ...) stay visible on the instance for tests.
    await fastify.register(fp(app), { ...appOptions, config })
  } catch (error) {
    // A plugin refused to boot (a wrong ENCRYPTION_KEY...): close what the others opened.
    await fastify.close().catch(() => {})
    throw error
  }
  // The proxy's JSON requests, taken before Fastify through the same steps as its hooks.
  if (fastify.server instanceof GatewayServer) {
    fastify.server.useFrontDoor(
      createFrontDoor({
        proxy: fastify.proxy,
        prefixes: PROXY_PREFIXES,
        gateway: fastify.server,
        requestId: newRequestId,
        requestLogger: (id, req) =>
          lazyRequestLogger.call(fastify, fastify.log, { reqId: id }, {}, req),
        trustProxy: config.trustProxy ? trustNearestProxy : false,
        corsHeaders: corsAnswerHeaders(config.corsOrigins),
        lingerBytes,
        answerError: (error, log, reply) => answerError(error, { log }, reply),
        answered: ({ route, method, url, upstreamPath, status, elapsedMs, log }) => {
          observeAnswer(fastify.metrics, { route, method, url, upstreamPath, status })
          logCompleted(log, method, url, status, elapsedMs)
        },
      }),
    )
  }
  return fastify
}
