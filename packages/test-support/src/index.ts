export {
  type HttpConnectProxy,
  type HttpConnectProxyMode,
  type HttpConnectProxyOptions,
  startHttpConnectProxy,
} from './http-connect-proxy.js'
export { createManualClock, type ManualClock, type SetTimer, START } from './manual-clock.js'
export type { ProxyAuth, ProxyHandle, TunnelRecord } from './proxy-lifecycle.js'
export {
  type Socks5Proxy,
  type Socks5ProxyMode,
  type Socks5ProxyOptions,
  startSocks5Proxy,
} from './socks5-proxy.js'
