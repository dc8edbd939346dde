import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { NotFound } from '../errors.js'
import { GatewayServer } from './gateway-server.js'

/** What becomes of the connection once an answer is sent. */
export type AfterAnswer =
  /** Kept alive: the request was accepted and received whole. */
  | 'keep'
  /** `Connection: close`, closed as soon as the answer is out (nothing more is read). */
  | 'close'
  /** `Connection: close`, the rest of the body read and discarded for a moment, then closed. */
  | 'linger'

/**
 * The rule, for an answer with `status` to a request that was (or was not) `accepted` by every
 * onRequest hook (the client key, the admin login, the method) and routed to a handler:
 *
 * - a refusal before that (401, 403, 405, 429 of the hooks, 404 of no route, 503 shutting down)
 *   closes the connection: a client that was not let in is not read any further, its body never
 *   drained;
 * - an error to an accepted request whose body has not all arrived (413 at the limit, 408 when it
 *   stalled) closes it too: at once after a 408, which the client stopped sending, and after a
 *   lingering read otherwise, so that a client still writing sees the answer, not a reset;
 * - everything else keeps the connection (an upstream's 4xx passed on is an answer, not a
 *   refusal of the connection).
 */
export function afterAnswer(status: number, accepted: boolean, bodyReceived: boolean): AfterAnswer {
  if (status < 400) return 'keep'
  if (!accepted) return 'close'
  if (bodyReceived) return 'keep'
  return status === 408 ? 'close' : 'linger'
}

/**
 * `afterAnswer` applied to an answer about to be sent (its status set): `Connection: close` where
 * the rule says so, and on every answer once shutdown has begun; the lingering read (at most
 * `lingerBytes` more) where it says linger. Fastify's `onSend` hook below and the server's front
 * door (front-door.ts) both call it.
 */
export function applyAfterAnswer(
  answer: { readonly statusCode: number; header(name: string, value: string): unknown },
  exchange: { req: IncomingMessage; res: ServerResponse; accepted: boolean },
  gateway: GatewayServer | undefined,
  lingerBytes: number,
): void {
  const { req, res, accepted } = exchange
  // `inject()` requests have no `complete` flag: their body is always all there.
  const plan = afterAnswer(answer.statusCode, accepted, req.complete !== false)
  if (plan !== 'keep' || gateway?.closing === true) answer.header('connection', 'close')
  if (plan === 'linger' && gateway !== undefined) gateway.lingerAfterAnswer(req, res, lingerBytes)
}

const declaresBody = (headers: IncomingHttpHeaders) =>
  headers['transfer-encoding'] !== undefined ||
  (headers['content-length'] !== undefined && headers['content-length'] !== '0')

/**
 * Hooks of the root instance (so every route has them) that apply `afterAnswer`: `preParsing`
 * marks a request accepted (it runs once every onRequest hook let it through) or, for a request
 * with a body to a path no route serves, answers 404 before the body is read (Fastify would read
 * it whole for the not-found handler first); `onSend` sets
 * `Connection: close` where the rule says so (and on every answer once shutdown has begun) and
 * starts the lingering read (at most `lingerBytes` more, and the gateway server's linger time).
 */
export function closeConnectionsAfterRefusals(
  fastify: FastifyInstance,
  { lingerBytes }: { lingerBytes: number },
): void {
  const accepted = new WeakSet<FastifyRequest>()
  fastify.addHook('preParsing', (request, _reply, payload, done) => {
    if (request.is404 && declaresBody(request.headers)) {
      const path = request.url.split('?', 1)[0]
      done(new NotFound(`No route for ${request.method} ${path}`))
      return
    }
    accepted.add(request)
    done(null, payload)
  })
  const server = fastify.server
  const gateway = server instanceof GatewayServer ? server : undefined
  fastify.addHook('onSend', (request: FastifyRequest, reply: FastifyReply, payload, done) => {
    const exchange = {
      req: request.raw,
      res: reply.raw,
      accepted: accepted.has(request) && !request.is404,
    }
    applyAfterAnswer(reply, exchange, gateway, lingerBytes)
    done(null, payload)
  })
}
