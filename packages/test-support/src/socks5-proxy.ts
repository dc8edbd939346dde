import { lookup } from 'node:dns/promises'
import { connect, createServer, isIPv6, type Socket } from 'node:net'
import {
  type ProxyAuth,
  type ProxyHandle,
  SocketSet,
  startLifecycle,
  type TunnelRecord,
  withCredentials,
} from './proxy-lifecycle.js'
import {
  ADDRESS_TYPE,
  AUTH_VERSION,
  COMMAND,
  type ConnectRequest,
  METHOD,
  parseCredentials,
  parseGreeting,
  parseRequest,
  REPLY,
  reply,
  replyCodeFor,
  SOCKS_VERSION,
} from './socks5-messages.js'

/**
 * - `ok`: normal behaviour.
 * - `refuse-auth`: username/password is demanded and always fails (rotated or revoked ones).
 * - `refuse-connect`: every CONNECT is answered 0x05 (connection refused).
 * - `reset`: a TCP reset instead of an answer to CONNECT.
 * - `hang`: never answer CONNECT (tests the caller's connect timeout).
 */
export type Socks5ProxyMode = 'ok' | 'refuse-auth' | 'refuse-connect' | 'reset' | 'hang'

export interface Socks5ProxyOptions {
  /** Local address for connections to targets, e.g. `127.0.0.3`: what the target sees. */
  outgoingAddress?: string
  /** Require RFC 1929 username/password; without it only "no authentication" is offered. */
  auth?: ProxyAuth
}

export type Socks5Proxy = ProxyHandle<Socks5ProxyMode>

/** `host:port` as the client asked for it, IPv6 in brackets. */
function authority(request: ConnectRequest): string {
  const host = request.addressType === ADDRESS_TYPE.ipv6 ? `[${request.host}]` : request.host
  return `${host}:${request.port}`
}

/**
 * A real SOCKS5 proxy on 127.0.0.1 (port 0), CONNECT only, for egress-lane tests: it dials
 * targets from `outgoingAddress`, so a look-alike upstream can tell which lane a call took.
 */
export async function startSocks5Proxy(options: Socks5ProxyOptions = {}): Promise<Socks5Proxy> {
  const { outgoingAddress, auth } = options
  const sockets = new SocketSet()
  const tunnels: TunnelRecord[] = []
  let mode: Socks5ProxyMode = 'ok'
  // Domain names resolve in the family we dial from: binding 127.0.0.3 cannot reach `::1`.
  const family = outgoingAddress === undefined ? 0 : isIPv6(outgoingAddress) ? 6 : 4

  /** Answer a failure and close: the tunnel is not going to happen. */
  const fail = (client: Socket, message: Buffer): void => {
    client.end(message, () => client.destroy())
  }

  async function dial(client: Socket, request: ConnectRequest, early: Buffer): Promise<void> {
    let host = request.host
    if (request.addressType === ADDRESS_TYPE.domain) {
      try {
        host = (await lookup(request.host, { family })).address
      } catch {
        fail(client, reply(REPLY.hostUnreachable))
        return
      }
    }
    // The client may have gone (or the proxy been killed) during the lookup.
    if (client.destroyed) return
    const upstream = sockets.track(
      connect({ host, port: request.port, localAddress: outgoingAddress }),
    )
    let established = false
    upstream.once('connect', () => {
      if (client.destroyed) {
        upstream.destroy()
        return
      }
      established = true
      tunnels.push({ target: authority(request), at: Date.now() })
      client.write(reply(REPLY.succeeded, upstream.localAddress, upstream.localPort))
      if (early.length > 0) upstream.write(early)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    upstream.on('error', (error) => {
      if (established) client.destroy()
      else if (!client.destroyed) fail(client, reply(replyCodeFor(error)))
    })
    upstream.on('close', () => {
      if (established) client.destroy()
    })
    client.on('close', () => upstream.destroy())
  }

  /** One client connection: greeting, optional username/password, then CONNECT. */
  function serve(client: Socket): void {
    sockets.track(client)
    client.on('error', () => client.destroy())
    let stage: 'greeting' | 'credentials' | 'request' | 'done' = 'greeting'
    let received = Buffer.alloc(0)

    /** Ends the conversation: with a last message, or by just destroying the socket. */
    const stop = (lastMessage?: Buffer): false => {
      stage = 'done'
      if (lastMessage) fail(client, lastMessage)
      else client.destroy()
      return false
    }

    // Each returns whether a whole message was consumed, so the caller loops over what is left.
    const onGreeting = (): boolean => {
      const greeting = parseGreeting(received)
      if (greeting === undefined) return false
      if (greeting === 'invalid') return stop()
      received = received.subarray(greeting.length)
      const demandsCredentials = auth !== undefined || mode === 'refuse-auth'
      const method = demandsCredentials ? METHOD.usernamePassword : METHOD.noAuth
      if (!greeting.methods.includes(method)) {
        return stop(Buffer.from([SOCKS_VERSION, METHOD.noneAcceptable]))
      }
      client.write(Buffer.from([SOCKS_VERSION, method]))
      stage = demandsCredentials ? 'credentials' : 'request'
      return true
    }

    const onCredentials = (): boolean => {
      const credentials = parseCredentials(received)
      if (credentials === undefined) return false
      if (credentials === 'invalid') return stop()
      received = received.subarray(credentials.length)
      const accepted =
        mode !== 'refuse-auth' &&
        credentials.username === auth?.username &&
        credentials.password === auth.password
      if (!accepted) return stop(Buffer.from([AUTH_VERSION, 0x01]))
      client.write(Buffer.from([AUTH_VERSION, 0x00]))
      stage = 'request'
      return true
    }

    const onRequest = (): boolean => {
      const request = parseRequest(received)
      if (request === undefined) return false
      if (request === 'invalid') return stop()
      stage = 'done'
      switch (mode) {
        case 'hang':
          return false
        case 'reset':
          client.resetAndDestroy()
          return false
        case 'refuse-connect':
          return stop(reply(REPLY.connectionRefused))
      }
      if (request.command !== COMMAND.connect) return stop(reply(REPLY.commandNotSupported))
      if (request.host === '') return stop(reply(REPLY.addressTypeNotSupported))
      // Bytes sent right behind CONNECT belong to the target: hold them until it is dialled.
      client.off('data', onData)
      client.pause()
      void dial(client, request, received.subarray(request.length))
      return false
    }

    const steps = { greeting: onGreeting, credentials: onCredentials, request: onRequest }
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk])
      while (stage !== 'done' && steps[stage]()) {}
    }
    client.on('data', onData)
  }

  const server = createServer(serve)
  const lifecycle = await startLifecycle(server, sockets)
  const url = `socks5://127.0.0.1:${lifecycle.port}`

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
