import { Agent, buildConnector, type Dispatcher, Pool, ProxyAgent, Socks5ProxyAgent } from 'undici'
import { markErrorsBeforeSend } from './way-out.js'

/** What an undici dispatcher needs to know of an egress (the password already opened). */
export type EgressRoute =
  | { kind: 'direct'; localAddress: string | null }
  | {
      kind: 'http' | 'https' | 'socks5'
      host: string
      port: number
      username: string | null
      password: string | null
    }

export interface DispatcherOptions {
  /** UPSTREAM_CONNECT_TIMEOUT_MS: to the upstream, or to the proxy and through its tunnel. */
  connectTimeoutMs: number
  /**
   * Cluster mode: asked as a request carrying a key is about to be written to its socket
   * (after connecting, after the proxy's tunnel): false refuses it, unsent (the lane's lease ran
   * out meanwhile, say after a long pause), and calls `refused`.
   */
  sendGate?: { allows(): boolean; refused(): void } | undefined
}

const proxyOrigin = (scheme: 'http' | 'https' | 'socks5', host: string, port: number) =>
  `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`

/**
 * One undici dispatcher per egress: an `Agent` (bound to the local address, if any) for
 * `direct`, undici's own `ProxyAgent` (CONNECT tunnels, TLS to the upstream inside them) for
 * http/https proxies and its `Socks5ProxyAgent` for SOCKS5. `socks5h` needs nothing more:
 * undici's SOCKS5 agent always lets the proxy resolve the upstream's name. Credentials are given
 * as options, never inside the URL the agents keep. Every dispatcher marks the errors raised
 * before a request reached a socket (`markErrorsBeforeSend`): the way out failed, not the key.
 * One request per connection at a time (`pipelining: 1`); timeouts of answers are per request.
 */
export function createEgressDispatcher(route: EgressRoute, options: DispatcherOptions): Dispatcher {
  const timeout = options.connectTimeoutMs
  let dispatcher: Dispatcher
  switch (route.kind) {
    case 'direct':
      // An Agent option: inside `connect` undici's connector would overwrite it with the
      // client's own `localAddress` (null), and the OS would pick the source address.
      dispatcher = new Agent({
        pipelining: 1,
        connect: { timeout },
        ...(route.localAddress === null ? {} : { localAddress: route.localAddress }),
      })
      break
    case 'http':
    case 'https': {
      const token =
        route.username === null
          ? undefined
          : `Basic ${Buffer.from(`${route.username}:${route.password ?? ''}`).toString('base64')}`
      dispatcher = new ProxyAgent({
        uri: proxyOrigin(route.kind, route.host, route.port),
        ...(token === undefined ? {} : { token }),
        pipelining: 1,
        proxyTls: { timeout },
        requestTls: { timeout },
        // The CONNECT request goes through this inner client, which gets neither the agent's
        // timeouts nor the request's signal: a proxy that never answers it would hold the
        // request for undici's default 300 s. Its answer is part of connecting.
        clientFactory: (origin, clientOptions) =>
          new Pool(origin, { ...clientOptions, headersTimeout: timeout, bodyTimeout: timeout }),
      })
      break
    }
    case 'socks5':
      dispatcher = new Socks5ProxyAgent(proxyOrigin('socks5', route.host, route.port), {
        ...(route.username === null ? {} : { username: route.username }),
        ...(route.password === null ? {} : { password: route.password }),
        connect: buildConnector({ timeout }),
      })
      break
  }
  const { sendGate } = options
  return sendGate === undefined
    ? dispatcher.compose(markErrorsBeforeSend)
    : dispatcher.compose(markErrorsBeforeSend, gateKeyedRequests(sendGate))
}

/** A request that would send a key upstream (not an egress check, which sends none). */
function carriesKey(headers: Dispatcher.DispatchOptions['headers']): boolean {
  if (headers == null) return false
  if (Array.isArray(headers)) {
    return headers.some((entry, i) =>
      Array.isArray(entry)
        ? String(entry[0]).toLowerCase() === 'authorization'
        : i % 2 === 0 && String(entry).toLowerCase() === 'authorization',
    )
  }
  if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const [name] of headers as Iterable<[string, unknown]>) {
      if (name.toLowerCase() === 'authorization') return true
    }
    return false
  }
  return Object.keys(headers).some((name) => name.toLowerCase() === 'authorization')
}

/** Lapsed while connecting: the request never reached its socket. */
export class LaneSendRefused extends Error {
  readonly code = 'SFP_LANE_SEND_REFUSED'
}

/**
 * The last check before a key goes out (`sendGate`): undici calls `onRequestStart` right before
 * it writes the request to the socket, so a request dispatched while its lane's lease was good,
 * that waited for a connection or a tunnel across a pause, is refused there, unsent. Its error
 * is marked as raised before sending (the interceptor before this one), like a way out that failed.
 */
function gateKeyedRequests(gate: NonNullable<DispatcherOptions['sendGate']>) {
  return (dispatch: Dispatcher['dispatch']): Dispatcher['dispatch'] =>
    (options, handler: Dispatcher.DispatchHandler) => {
      if (!carriesKey(options.headers)) return dispatch(options, handler)
      const gated: Dispatcher.DispatchHandler = {
        onRequestStart(controller, context) {
          if (!gate.allows()) {
            gate.refused()
            controller.abort(new LaneSendRefused('the lane may no longer send (its lease ran out)'))
            return
          }
          handler.onRequestStart?.(controller, context)
        },
        onRequestUpgrade: (controller, statusCode, headers, socket) =>
          handler.onRequestUpgrade?.(controller, statusCode, headers, socket),
        onResponseStart: (controller, statusCode, headers, statusMessage) =>
          handler.onResponseStart?.(controller, statusCode, headers, statusMessage),
        onResponseData: (controller, chunk) => handler.onResponseData?.(controller, chunk),
        onResponseEnd: (controller, trailers) => handler.onResponseEnd?.(controller, trailers),
        onResponseError: (controller, error) => handler.onResponseError?.(controller, error),
      }
      return dispatch(options, gated)
    }
}
