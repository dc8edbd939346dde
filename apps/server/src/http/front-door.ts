import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import { performance } from 'node:perf_hooks'
import proxyAddr from '@fastify/proxy-addr'
import {
  type FrontDoorRoute,
  type JsonRequest,
  type ProxyService,
  plainUpstreamPath,
  RawReply,
} from '@sfp/proxy'
import type { FastifyBaseLogger, FastifyError } from 'fastify'
import type { HeaderTarget } from '../plugins/cors.js'
import { proxyRoutePattern } from '../proxy-prefixes.js'
import { applyAfterAnswer } from './after-answer.js'
import type { GatewayServer } from './gateway-server.js'

/** The content types the proxy routes read as JSON that the front door takes (what SDKs send). */
const JSON_TYPES = new Set([
  'application/json',
  'application/json; charset=utf-8',
  'application/json;charset=utf-8',
  'application/json; charset=UTF-8',
])

/** What the front door uses of the server, each a behaviour with its home elsewhere. */
export interface FrontDoorDeps {
  proxy: ProxyService
  /** The proxy routes' prefixes (`/v1`, `/api/proxy`). */
  prefixes: readonly string[]
  gateway: GatewayServer
  /** The server's request id (Fastify's `genReqId`). */
  requestId: () => string
  /** The request's logger, bound to its id (the server's `childLoggerFactory`). */
  requestLogger: (id: string, req: IncomingMessage) => FastifyBaseLogger
  /** TRUST_PROXY's rule: which hops are trusted (Fastify's `trustProxy`); false for none. */
  trustProxy: ((address: string, hop: number) => boolean) | false
  /** CORS headers of the proxy routes' answers (plugins/cors.ts `corsAnswerHeaders`). */
  corsHeaders: (origin: string | undefined, target: HeaderTarget) => void
  /** After a refusal with the body still arriving: how much more is read (after-answer.ts). */
  lingerBytes: number
  /** An error the proxy does not answer itself, in the envelope (plugins/error-handler.ts). */
  answerError: (error: FastifyError, log: FastifyBaseLogger, reply: RawReply) => void
  /** A request answered: the HTTP-response metric and the log line (Fastify's `onResponse`). */
  answered: (answered: FrontDoorAnswer) => void
}

export interface FrontDoorAnswer {
  route: string
  method: string
  url: string
  /** What `url` maps to upstream (the metric's endpoint label), worked out once on the way in. */
  upstreamPath: string
  status: number
  /** From the request's arrival to its answer's end, as Fastify's `reply.elapsedTime`. */
  elapsedMs: number
  log: FastifyBaseLogger
}

/** Returns true when it took the request (and will answer it); false leaves it to Fastify. */
export type FrontDoor = (req: IncomingMessage, res: ServerResponse) => boolean

/**
 * The proxy's hot path, taken before Fastify: `POST <prefix>/<path>` with a JSON body of a
 * declared length and an accepted client key, the request nearly every client sends. Fastify's
 * routing, its request and reply objects, its hook runs and its reply's send were tens of
 * microseconds of each such request's time to first byte, and ~7 % of its CPU (bench/README.md
 * "Eighth pass", "Twelfth pass"); here
 * the same steps run straight, each through the one function Fastify's hooks call too: the
 * request id, the client key check, the body's receiving and the handler (the proxy service,
 * `takeJson`), CORS (`corsHeaders`), the connection rule (`applyAfterAnswer`), errors in the
 * envelope (`answerError`), the metric and the log line (`answered`).
 *
 * Anything else goes to Fastify unchanged: other methods (a preflight, `GET /v1/models` and its
 * per-key filter, DELETE), other content types (uploads), chunked or empty bodies, a URL that is
 * not plain, a missing or refused client key (401, recorded there), and every request once
 * shutdown has begun (503 there).
 */
export function createFrontDoor(deps: FrontDoorDeps): FrontDoor {
  const { proxy, gateway } = deps
  // Each prefix with its route pattern, the HTTP metric's label, made once.
  const prefixes = deps.prefixes.map((prefix) => ({ prefix, pattern: proxyRoutePattern(prefix) }))
  return (req, res) => {
    if (req.method !== 'POST' || gateway.closing) return false
    const { headers } = req
    const contentType = headers['content-type']
    if (contentType === undefined || !JSON_TYPES.has(contentType) || !declaresLength(headers)) {
      return false
    }
    // Only a plain URL (no `%` escape, no dot segment): Fastify's router would route it to the
    // proxy routes as it is, and refuses a malformed escape itself.
    const url = req.url ?? ''
    const taken = routeOf(url, prefixes)
    if (taken === undefined) return false
    const { route, pattern } = taken
    const { prefix } = route

    const arrivedAt = performance.now()
    const request = new FrontDoorRequest(req, deps)
    const reply = new RawReply(
      res,
      { 'x-request-id': request.id },
      {
        log: request.log,
        beforeHead: (answer) => {
          deps.corsHeaders(headers.origin, answer)
          applyAfterAnswer(answer, { req, res, accepted: true }, gateway, deps.lingerBytes)
        },
        onError: (error, answer) => {
          try {
            proxy.handleError(error, request, answer, prefix)
          } catch {
            deps.answerError(error as FastifyError, request.log, answer)
          }
        },
      },
    )
    if (!proxy.takeJson(request, reply, route)) return false
    const onFinish = () => {
      res.off('finish', onFinish)
      res.off('error', onFinish)
      deps.answered({
        route: pattern,
        method: 'POST',
        url,
        upstreamPath: route.upstreamPath,
        status: res.statusCode,
        elapsedMs: performance.now() - arrivedAt,
        log: request.log,
      })
    }
    // As Fastify's `onResponse`: once the answer is out (not for a client that left before).
    res.on('finish', onFinish)
    res.on('error', onFinish)
    return true
  }
}

/**
 * The proxy prefix a plain URL starts with and the upstream path it maps to, with the prefix's
 * route pattern.
 */
function routeOf(
  url: string,
  prefixes: readonly { prefix: string; pattern: string }[],
): { route: FrontDoorRoute; pattern: string } | undefined {
  for (const { prefix, pattern } of prefixes) {
    const upstreamPath = plainUpstreamPath(url, prefix)
    if (upstreamPath !== null) return { route: { prefix, upstreamPath }, pattern }
  }
  return undefined
}

/** A body of a declared, non-zero length, not chunked: the proxy routes would read it as JSON. */
function declaresLength(headers: IncomingHttpHeaders): boolean {
  const length = headers['content-length']
  return (
    headers['transfer-encoding'] === undefined &&
    length !== undefined &&
    length !== '0' &&
    /^\d+$/.test(length)
  )
}

/** The request as the proxy reads it (`ProxyRequest`), with Fastify's meaning for each field. */
class FrontDoorRequest implements JsonRequest {
  readonly id: string
  readonly method = 'POST'
  readonly url: string
  readonly headers: IncomingHttpHeaders
  body: unknown
  readonly log: FastifyBaseLogger
  readonly #trustProxy: FrontDoorDeps['trustProxy']

  constructor(
    readonly raw: IncomingMessage,
    deps: FrontDoorDeps,
  ) {
    this.id = deps.requestId()
    this.url = raw.url ?? ''
    this.headers = raw.headers
    this.log = deps.requestLogger(this.id, raw)
    this.#trustProxy = deps.trustProxy
  }

  /** As Fastify's `request.ip`: behind TRUST_PROXY, the address the trusted hops reported. */
  get ip(): string | undefined {
    if (this.#trustProxy === false) return this.raw.socket.remoteAddress
    const addresses = proxyAddr.all(this.raw, this.#trustProxy)
    return addresses[addresses.length - 1]
  }
}
