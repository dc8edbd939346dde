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
  return dispatcher.compose(markErrorsBeforeSend)
}
