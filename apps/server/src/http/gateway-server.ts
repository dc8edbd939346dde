import { type IncomingMessage, type RequestListener, Server, type ServerResponse } from 'node:http'
import { Socket } from 'node:net'
import type { FrontDoor } from './front-door.js'
import { type LingerBounds, lingerThenDestroy } from './linger.js'
import { rawAnswer, sendRefusal } from './raw-answer.js'
import { requestHeadProblem } from './request-guard.js'

export interface GatewayServerSettings {
  /** CLIENT_HEADERS_TIMEOUT_MS: time to receive a request's head. */
  headersTimeoutMs: number
  /** CLIENT_REQUEST_TIMEOUT_MS: time to receive a whole request, head and body (0 = off). */
  requestTimeoutMs: number
  /** How long an idle keep-alive connection is kept (Fastify's default: 72 s). */
  keepAliveTimeoutMs?: number
  /** After a refusal: how long a connection is still read, discarding the rest of the request. */
  lingerMs: number
}

/**
 * How often Node looks for connections past their receive timeouts (its default, 30 s, would let
 * a 1 s limit run for up to 31 s): a quarter of the shortest limit, between 50 ms and 1 s.
 */
export function connectionsCheckingIntervalMs(headersMs: number, requestMs: number): number {
  const shortest = requestMs === 0 ? headersMs : Math.min(headersMs, requestMs)
  return Math.max(50, Math.min(1000, Math.floor(shortest / 4)))
}

/**
 * Node's HTTP server with the gateway's rules at the connection level (Fastify's `serverFactory`
 * builds it, see `createServerFactory`):
 *
 * - strict parsing: llhttp without lenient flags, duplicate headers not joined, and what llhttp
 *   still accepts refused here (`requestHeadProblem`: HTTP/0.9 request lines, a missing, doubled
 *   or malformed Host) with 400 in the envelope and `Connection: close`;
 * - the receive timeouts (Node's `headersTimeout` / `requestTimeout`; Node stops the clock once a
 *   request is received, so they never limit how long an answer takes). What Node's parser
 *   refuses and these timeouts are answered by the `clientErrorHandler` (`client-error.ts`);
 * - `CONNECT` refused in the envelope (not a forward proxy) instead of the socket dropped;
 * - shutdown: idle connections, including ones that never sent a byte (which Node does not count
 *   as idle), are closed as soon as no request is in progress: at once when nothing is, else when
 *   the last one ends. Until then a request arriving on a kept-alive connection is answered (503
 *   shutting_down by the app, with `Connection: close`) instead of meeting a closed socket.
 */
export class GatewayServer extends Server {
  #closing = false
  #inFlight = 0
  readonly #connections = new Set<Socket>()
  /** Refused connections still reading the rest of a request (`lingerAfterAnswer`). */
  readonly #lingering = new Set<Socket>()
  readonly #lingerMs: number
  /** The proxy's hot path, in front of Fastify once the app is up (`useFrontDoor`). */
  #frontDoor: FrontDoor | undefined

  constructor(settings: GatewayServerSettings, handler: RequestListener) {
    super({
      // RFC 9112 framing: Node's defaults, stated. Host is checked by `requestHeadProblem`, so
      // that its refusal comes in the envelope (Node's own 400 has an empty body).
      insecureHTTPParser: false,
      joinDuplicateHeaders: false,
      requireHostHeader: false,
      headersTimeout: settings.headersTimeoutMs,
      requestTimeout: settings.requestTimeoutMs,
      connectionsCheckingInterval: connectionsCheckingIntervalMs(
        settings.headersTimeoutMs,
        settings.requestTimeoutMs,
      ),
    })
    this.keepAliveTimeout = settings.keepAliveTimeoutMs ?? 72_000
    this.#lingerMs = settings.lingerMs
    this.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.#inFlight += 1
      res.once('close', this.#requestEnded)
      const problem = requestHeadProblem(req)
      if (problem !== undefined) sendRefusal(res, problem)
      else if (this.#frontDoor?.(req, res) !== true) handler(req, res)
    })
    this.on('connection', (socket: Socket) => {
      this.#connections.add(socket)
      socket.once('close', () => {
        this.#connections.delete(socket)
        this.#lingering.delete(socket)
      })
    })
    // With no listener Node drops a CONNECT without a word.
    this.on('connect', (_req: IncomingMessage, socket: Socket) => {
      const message = 'CONNECT is not supported: this server is not a forward proxy'
      socket.end(rawAnswer({ status: 400, code: 'validation_error', message }))
      lingerThenDestroy(socket, { maxMs: this.#lingerMs })
    })
  }

  /**
   * From now on the front door sees each request first; what it does not take goes on (none:
   * every request goes to the app's handler).
   */
  useFrontDoor(frontDoor: FrontDoor | undefined): void {
    this.#frontDoor = frontDoor
  }

  /** True once `close()` was called: shutdown has begun. */
  get closing(): boolean {
    return this.#closing
  }

  /** Requests received and not yet answered in full (or abandoned). */
  get requestsInFlight(): number {
    return this.#inFlight
  }

  readonly #requestEnded = () => {
    this.#inFlight -= 1
    if (this.#closing && this.#inFlight === 0) this.closeIdleConnections()
  }

  /**
   * Shutdown has begun (the app's `preClose`, before the listener closes): from now on every
   * answer closes its connection, and idle ones close once no request is in progress.
   */
  beginShutdown(): void {
    this.#closing = true
  }

  override close(callback?: (error?: Error) => void): this {
    this.beginShutdown()
    return super.close(callback)
  }

  /**
   * Called by `close()` (Node) when shutdown starts. While requests are in progress, nothing is
   * closed yet (see the class comment); once none is: Node's idle connections (a finished
   * keep-alive request), connections that never sent a byte, and refused connections still
   * lingering. Connections in the middle of a request head stay: it is answered, then closed.
   */
  override closeIdleConnections(): void {
    if (this.#closing && this.#inFlight > 0) return
    super.closeIdleConnections()
    for (const socket of this.#connections) {
      if (socket.bytesRead === 0 || this.#lingering.has(socket)) socket.destroy()
    }
  }

  /**
   * The answer to `req` closes its connection (`Connection: close`) while the request's body has
   * not all arrived: once the answer is out, the rest is read and discarded (within the linger
   * bounds) before the socket is destroyed, instead of at once, so that the client, still writing,
   * reads the answer rather than a reset. Node closes such a connection with `destroySoon()` when
   * the answer is finished: that call is where the lingering starts.
   */
  lingerAfterAnswer(req: IncomingMessage, res: ServerResponse, maxBytes: number): void {
    const socket = res.socket
    if (!(socket instanceof Socket) || socket.destroyed) return
    const lingering = socket as Socket & { destroySoon: () => void }
    lingering.destroySoon = () => {
      delete (lingering as { destroySoon?: unknown }).destroySoon
      if (req.complete) {
        socket.destroySoon()
        return
      }
      this.#lingering.add(socket)
      const bounds: LingerBounds = { maxMs: this.#lingerMs, maxBytes }
      lingerThenDestroy(socket, bounds)
      // The body is over: nothing more is coming that a reset could overtake.
      req.once('end', () => socket.destroy())
      req.resume()
    }
  }
}

/** Fastify's `serverFactory`: the gateway's Node server around Fastify's request handler. */
export function createServerFactory(
  settings: GatewayServerSettings,
): (handler: RequestListener) => GatewayServer {
  return (handler) => new GatewayServer(settings, handler)
}
