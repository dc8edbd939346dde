import type { AddressInfo, Server, Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

export interface ProxyAuth {
  username: string
  password: string
}

/** A tunnel the proxy opened: `target` as the client asked for it (`host:port`, `[v6]:port`). */
export interface TunnelRecord {
  target: string
  /** Epoch ms when the tunnel was established. */
  at: number
}

/** What both test proxies return; `Mode` is the proxy's own set of fault modes. */
export interface ProxyHandle<Mode extends string> {
  /** `http://127.0.0.1:PORT` or `socks5://127.0.0.1:PORT`, without credentials. */
  url: string
  /** `url` with percent-encoded `user:pass@` when the proxy has `auth`, else `url` itself. */
  urlWithAuth: string
  port: number
  /** Local address of the proxy's connections to targets; `undefined`: the OS picks. */
  outgoingAddress: string | undefined
  /** Every tunnel established, oldest first. */
  tunnels: TunnelRecord[]
  /** Sockets open on either side (client and target), for leak checks. */
  openSockets(): number
  setMode(mode: Mode): void
  /** Stop listening and cut every socket, like a crashed proxy: later connects get ECONNREFUSED. */
  kill(): Promise<void>
  /** Listen again on the same port after `kill()`. */
  restart(): Promise<void>
  /** `kill()` for good: `restart()` then throws. */
  close(): Promise<void>
}

/** Both sides of every connection, so that `kill()` can cut them all at once. */
export class SocketSet {
  readonly #sockets = new Set<Socket>()

  track<S extends Socket>(socket: S): S {
    this.#sockets.add(socket)
    socket.once('close', () => this.#sockets.delete(socket))
    return socket
  }

  get size(): number {
    return this.#sockets.size
  }

  /** Resolves once every socket has emitted 'close', so `openSockets()` reads 0 right after. */
  async destroyAll(): Promise<void> {
    const closing = [...this.#sockets].map(
      (socket) => new Promise((resolve) => socket.once('close', resolve)),
    )
    for (const socket of this.#sockets) socket.destroy()
    await Promise.all(closing)
  }
}

function listenOnLoopback(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      server.off('listening', onListening)
      reject(error)
    }
    const onListening = () => {
      server.off('error', onError)
      resolve()
    }
    server.once('error', onError)
    server.once('listening', onListening)
    server.listen(port, '127.0.0.1')
  })
}

export function withCredentials(url: string, auth: ProxyAuth | undefined): string {
  if (!auth) return url
  const [scheme, rest] = url.split('://') as [string, string]
  const user = encodeURIComponent(auth.username)
  return `${scheme}://${user}:${encodeURIComponent(auth.password)}@${rest}`
}

type Lifecycle = Pick<ProxyHandle<string>, 'port' | 'kill' | 'restart' | 'close'>

/** Listens on 127.0.0.1, port 0, and returns the kill / restart / close shared by both proxies. */
export async function startLifecycle(server: Server, sockets: SocketSet): Promise<Lifecycle> {
  await listenOnLoopback(server, 0)
  const { port } = server.address() as AddressInfo
  let closedForGood = false

  const kill = async () => {
    const closed = server.listening
      ? new Promise<void>((resolve) => server.close(() => resolve()))
      : Promise.resolve()
    await sockets.destroyAll()
    await closed
  }

  const restart = async () => {
    if (closedForGood) throw new Error('the proxy was closed for good; start a new one')
    if (server.listening) return
    // The port was ours a moment ago; a socket in TIME_WAIT or a racing test may hold it briefly.
    for (let attempt = 1; ; attempt += 1) {
      try {
        await listenOnLoopback(server, port)
        return
      } catch (error) {
        const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE'
        if (!inUse || attempt >= 40) throw error
        await sleep(25)
      }
    }
  }

  const close = async () => {
    closedForGood = true
    await kill()
  }

  return { port, kill, restart, close }
}
