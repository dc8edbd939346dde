import { connect, createServer, type Server, type Socket } from 'node:net'

/**
 * A TCP forwarder in front of PostgreSQL, so a test can take the database away from one
 * instance (every open connection reset, new ones refused) and give it back, while the
 * database itself keeps running for the others.
 */
export interface PgGate {
  /** The test database's URL, through the gate. */
  url: string
  /** Resets every connection through the gate and refuses new ones. */
  cut(): void
  restore(): void
  close(): Promise<void>
}

export async function openPgGate(databaseUrl: string): Promise<PgGate> {
  const target = new URL(databaseUrl)
  const targetHost = target.hostname || '127.0.0.1'
  const targetPort = Number(target.port || 5432)
  const sockets = new Set<Socket>()
  let open = true

  const server: Server = createServer((client) => {
    if (!open) {
      client.destroy()
      return
    }
    const upstream = connect(targetPort, targetHost)
    sockets.add(client).add(upstream)
    const forget = () => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on('error', forget).on('close', forget)
    upstream.on('error', forget).on('close', forget)
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('gate has no port')
  const gated = new URL(databaseUrl)
  gated.hostname = '127.0.0.1'
  gated.port = String(address.port)

  return {
    url: gated.toString(),
    cut() {
      open = false
      for (const socket of sockets) socket.destroy()
    },
    restore() {
      open = true
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
