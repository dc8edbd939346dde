import { randomUUID } from 'node:crypto'
import { ShuttingDown } from '@sfp/dispatch'
import { type Config, errorBody } from '@sfp/schemas'
import Fastify, {
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
import { createServerFactory, GatewayServer } from './http/gateway-server.js'
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
    // Our own ids only: a client-chosen id would end up in our logs unchecked.
    requestIdHeader: false,
    genReqId: () => randomUUID(),
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
  closeConnectionsAfterRefusals(fastify, { lingerBytes: 2 * config.bodyLimitBytes })
  // An empty body is no body, whatever its content type (src/http/empty-body.ts).
  acceptEmptyBodies(fastify)
  // Nothing to build for a line the logger would drop (a success, at the default `info` level).
  const logsSuccesses = fastify.log.level === 'debug' || fastify.log.level === 'trace'
  fastify.addHook('onResponse', (request, reply, done) => {
    const failed = reply.statusCode >= 500
    if (failed || logsSuccesses) {
      // The path without its query string: queries are the client's and stay out of the log.
      const line = {
        method: request.method,
        path: request.url.split('?', 1)[0],
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      }
      if (failed) request.log.info(line, 'request completed')
      else request.log.debug(line, 'request completed')
    }
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
  return fastify
}
