import { createServer, type IncomingMessage } from 'node:http'
import { connect, isIPv6, type Socket } from 'node:net'
import {
  type ProxyAuth,
  type ProxyHandle,
  SocketSet,
  startLifecycle,
  type TunnelRecord,
  withCredentials,
} from './proxy-lifecycle.js'

/**
 * - `ok`: normal behaviour.
 * - `refuse-auth`: 407 to every CONNECT, even with good credentials (rotated or revoked ones).
 * - `bad-gateway`: 502 to every CONNECT (the proxy cannot reach anything).
 * - `reset`: a TCP reset instead of an answer to CONNECT.
 * - `hang`: never answer CONNECT (tests the caller's connect timeout).
 */
export type HttpConnectProxyMode = 'ok' | 'refuse-auth' | 'bad-gateway' | 'reset' | 'hang'

export interface HttpConnectProxyOptions {
  /** Local address for connections to targets, e.g. `127.0.0.2`: what the target sees. */
  outgoingAddress?: string
  /** Require `Proxy-Authorization: Basic base64(user:pass)` on CONNECT. */
  auth?: ProxyAuth
}

export type HttpConnectProxy = ProxyHandle<HttpConnectProxyMode>

/** `host:port` or `[v6]:port` as in a CONNECT request line; `undefined` when malformed. */
function parseAuthority(authority: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(authority)
  const host = match?.[1] ?? match?.[2]
  const port = Number(match?.[3])
  if (host === undefined || !(port > 0 && port < 65536)) return undefined
  return { host, port }
}

function hasCredentials(header: string | undefined, auth: ProxyAuth): boolean {
  const encoded = /^basic\s+(\S+)\s*$/i.exec(header ?? '')?.[1]
  if (encoded === undefined) return false
  return Buffer.from(encoded, 'base64').toString('utf8') === `${auth.username}:${auth.password}`
}

/** Answer with a bodiless status and close: the tunnel is not going to happen. */
function refuse(client: Socket, status: string, extraHeaders: string[] = []): void {
  const head = [`HTTP/1.1 ${status}`, ...extraHeaders, 'Content-Length: 0', 'Connection: close']
  // http.Server sockets are half-open capable: end() alone would leave our side lingering.
  client.end(`${head.join('\r\n')}\r\n\r\n`, () => client.destroy())
}

/**
 * A real HTTP CONNECT proxy on 127.0.0.1 (port 0), for egress-lane tests: it dials targets from
 * `outgoingAddress`, so a look-alike upstream can tell which lane a call took.
 */
export async function startHttpConnectProxy(
  options: HttpConnectProxyOptions = {},
): Promise<HttpConnectProxy> {
  const { outgoingAddress, auth } = options
  const sockets = new SocketSet()
  const tunnels: TunnelRecord[] = []
  let mode: HttpConnectProxyMode = 'ok'
  // Domain names resolve in the family we dial from: binding 127.0.0.2 cannot reach `::1`.
  const family = outgoingAddress === undefined ? 0 : isIPv6(outgoingAddress) ? 6 : 4

  function openTunnel(authority: string, client: Socket, head: Buffer): void {
    const target = parseAuthority(authority)
    if (!target) {
      refuse(client, '400 Bad Request')
      return
    }
    const upstream = sockets.track(connect({ ...target, family, localAddress: outgoingAddress }))
    let established = false
    upstream.once('connect', () => {
      // The client may have gone (or the proxy been killed) while we dialled.
      if (client.destroyed) {
        upstream.destroy()
        return
      }
      established = true
      tunnels.push({ target: authority, at: Date.now() })
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.length > 0) upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    upstream.on('error', () => {
      if (established) client.destroy()
      else if (!client.destroyed) refuse(client, '502 Bad Gateway')
    })
    upstream.on('close', () => {
      if (established) client.destroy()
    })
    client.on('close', () => upstream.destroy())
  }

  function onConnect(request: IncomingMessage, client: Socket, head: Buffer): void {
    client.on('error', () => client.destroy())
    if (mode === 'hang') return
    if (mode === 'reset') {
      client.resetAndDestroy()
      return
    }
    const authorized =
      mode !== 'refuse-auth' &&
      (auth === undefined || hasCredentials(request.headers['proxy-authorization'], auth))
    if (!authorized) {
      refuse(client, '407 Proxy Authentication Required', [
        'Proxy-Authenticate: Basic realm="test"',
      ])
    } else if (mode === 'bad-gateway') {
      refuse(client, '502 Bad Gateway')
    } else {
      openTunnel(request.url ?? '', client, head)
    }
  }

  // Plain requests (forward-proxy style `GET http://...`) are not something the lanes use.
  const server = createServer((_request, response) => {
    response.writeHead(405, { allow: 'CONNECT', connection: 'close', 'content-length': '0' })
    response.end()
  })
  server.on('connection', (socket: Socket) => sockets.track(socket))
  server.on('connect', onConnect)
  const lifecycle = await startLifecycle(server, sockets)
  const url = `http://127.0.0.1:${lifecycle.port}`

  return {
    ...lifecycle,
    url,
    urlWithAuth: withCredentials(url, auth),
    outgoingAddress,
    tunnels,
    openSockets: () => sockets.size,
    setMode: (next) => {
      mode = next
    },
  }
}
