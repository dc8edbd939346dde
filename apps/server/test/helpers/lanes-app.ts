import type { AddressInfo } from 'node:net'
import type { KeyView } from '@sfp/schemas'
import {
  type HttpConnectProxy,
  type Socks5Proxy,
  startHttpConnectProxy,
  startSocks5Proxy,
} from '@sfp/test-support'
import {
  type MockUpstream,
  type MockUpstreamOptions,
  startMockUpstream,
} from '@sfp/test-support/upstream'
import { afterEach } from 'vitest'
import { buildTestApp, type TestApp } from './test-app.js'

export const PROXY_USER = 'lane-user'
export const PROXY_PASSWORD = 'lane-pass-s3cret'

/** The upstream keys of the lane tests, in creation order. */
export const laneKey = (n: number) => `sk-lane-key-${n}-${String(n).repeat(36)}`

export interface LaneProxies {
  /** HTTP CONNECT proxies with Basic auth, going out from 127.0.0.2, 127.0.0.3, ... */
  http: HttpConnectProxy[]
  /** SOCKS5 proxies with username/password, going out from the next addresses. */
  socks: Socks5Proxy[]
  /** Every proxy URL with its credentials, in the order above: EGRESS_PROXIES. */
  urls: string[]
  /** The source address the upstream sees for each URL. */
  addresses: string[]
  close(): Promise<void>
}

const opened: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of opened.splice(0).reverse()) await close()
})

/** Real proxies on real sockets, each going out from its own loopback address. */
export async function startLaneProxies(http: number, socks: number): Promise<LaneProxies> {
  const auth = { username: PROXY_USER, password: PROXY_PASSWORD }
  let next = 2
  const httpProxies = await Promise.all(
    Array.from({ length: http }, () =>
      startHttpConnectProxy({ outgoingAddress: `127.0.0.${next++}`, auth }),
    ),
  )
  const socksProxies = await Promise.all(
    Array.from({ length: socks }, () =>
      startSocks5Proxy({ outgoingAddress: `127.0.0.${next++}`, auth }),
    ),
  )
  const all = [...httpProxies, ...socksProxies]
  const proxies: LaneProxies = {
    http: httpProxies,
    socks: socksProxies,
    urls: all.map((proxy) => proxy.urlWithAuth),
    addresses: all.map((proxy) => proxy.outgoingAddress ?? ''),
    close: async () => {
      await Promise.all(all.map((proxy) => proxy.close()))
    },
  }
  opened.push(proxies.close)
  return proxies
}

export interface LanesTestApp extends TestApp {
  upstream: MockUpstream
  url: string
  keys: KeyView[]
}

/**
 * The whole server listening on a real port, going out through the given egresses (EGRESS_*
 * settings in `env`) to the look-alike upstream, with `keyCount` keys added in order.
 */
export async function startLanesApp(
  env: Record<string, string>,
  options: { keyCount: number; upstream?: MockUpstreamOptions; dataDir?: string },
): Promise<LanesTestApp> {
  const upstream = await startMockUpstream({
    acceptAnyKey: true,
    sseIntervalMs: 1,
    ...options.upstream,
  })
  opened.push(() => upstream.close())
  const test = await buildTestApp(
    {
      UPSTREAM_BASE_URL: upstream.url,
      AUTO_QUERY_BALANCE_AFTER_CALLS: '0',
      BALANCE_REFRESH_MINUTES: '0',
      ...env,
    },
    options.dataDir === undefined ? {} : { dataDir: options.dataDir },
  )
  const wanted = Array.from({ length: options.keyCount }, (_, i) => laneKey(i + 1))
  const keys = (await test.app.keyPool.add({ api_keys: wanted.join('\n') })).added
  await test.app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = test.app.server.address() as AddressInfo
  return { ...test, upstream, url: `http://127.0.0.1:${port}`, keys }
}
