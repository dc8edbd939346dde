import { createEgressDispatcher, isWayOutFailure } from '@sfp/egress'
import {
  type HttpConnectProxy,
  type ProxyAuth,
  type Socks5Proxy,
  startHttpConnectProxy,
  startSocks5Proxy,
} from '@sfp/test-support'
import type { FakeLane } from './fakes.js'
import { afterThisTest } from './proxy-app.js'

/**
 * Fake lanes with the real thing underneath: the egress package's dispatchers and its way-out
 * rule, through real local proxies (`@sfp/test-support`) whose outgoing address the mock upstream
 * reports as `sourceAddress`.
 */

const CONNECT_TIMEOUT_MS = 2000

/** Lane `id` straight from this host (the mock sees 127.0.0.1). */
export function directLane(id: number, blockCodes: number[] = []): FakeLane {
  return {
    id,
    dispatcher: createEgressDispatcher(
      { kind: 'direct', localAddress: null },
      { connectTimeoutMs: CONNECT_TIMEOUT_MS },
    ),
    wayOut: (error) => isWayOutFailure('direct', error),
    blockCodes,
  }
}

/** Lane `id` through `proxy` (credentials: `auth`, which may differ from the proxy's own). */
export function proxyLane(
  id: number,
  kind: 'http' | 'socks5',
  proxy: HttpConnectProxy | Socks5Proxy,
  options: { auth?: ProxyAuth; blockCodes?: number[] } = {},
): FakeLane {
  const { auth, blockCodes = [] } = options
  return {
    id,
    dispatcher: createEgressDispatcher(
      {
        kind,
        host: '127.0.0.1',
        port: proxy.port,
        username: auth?.username ?? null,
        password: auth?.password ?? null,
      },
      { connectTimeoutMs: CONNECT_TIMEOUT_MS },
    ),
    wayOut: (error) => isWayOutFailure(kind, error),
    blockCodes,
  }
}

/** An HTTP CONNECT proxy dialling from `outgoingAddress`, closed after the test. */
export async function httpProxy(outgoingAddress: string, auth?: ProxyAuth) {
  const proxy = await startHttpConnectProxy({ outgoingAddress, ...(auth ? { auth } : {}) })
  afterThisTest(() => proxy.close())
  return proxy
}

/** A SOCKS5 proxy dialling from `outgoingAddress`, closed after the test. */
export async function socksProxy(outgoingAddress: string, auth?: ProxyAuth) {
  const proxy = await startSocks5Proxy({ outgoingAddress, ...(auth ? { auth } : {}) })
  afterThisTest(() => proxy.close())
  return proxy
}
