import { createServer, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/** A target that answers every request with the remote address it saw: which lane was used. */
export interface AddressEcho {
  url: string
  port: number
  close(): Promise<void>
}

export async function startAddressEcho(host = '127.0.0.1'): Promise<AddressEcho> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((request, response) => {
    response.end(request.socket.remoteAddress)
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
