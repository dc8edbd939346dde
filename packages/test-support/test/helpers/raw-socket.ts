import { connect, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

/**
 * A plain TCP client for checking a proxy's bytes on the wire, where an HTTP client library would
 * hide them (or wait seconds for its own timeout).
 */
export interface RawClient {
  socket: Socket
  /** Everything received so far. */
  received(): Buffer
  /** Resolves once at least `bytes` bytes have arrived (or the socket closed first). */
  waitFor(bytes: number): Promise<Buffer>
  /** Resolves when the socket closes, with the error code that closed it, if any. */
  closed: Promise<string | undefined>
  /** Write `bytes` one byte at a time, with a pause between, as a fragmenting network would. */
  writeInPieces(bytes: Buffer): Promise<void>
}

export async function openRaw(port: number): Promise<RawClient> {
  const socket = connect({ host: '127.0.0.1', port, noDelay: true })
  let data = Buffer.alloc(0)
  let closeCode: string | undefined
  const listeners = new Set<() => void>()
  socket.on('data', (chunk: Buffer) => {
    data = Buffer.concat([data, chunk])
    for (const listener of listeners) listener()
  })
  socket.on('error', (error: NodeJS.ErrnoException) => {
    closeCode = error.code
  })
  const closed = new Promise<string | undefined>((resolve) => {
    socket.on('close', () => {
      for (const listener of listeners) listener()
      resolve(closeCode)
    })
  })
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  return {
    socket,
    received: () => data,
    closed,
    waitFor: (bytes) =>
      new Promise((resolve) => {
        const check = () => {
          if (data.length < bytes && !socket.destroyed) return
          listeners.delete(check)
          resolve(data)
        }
        listeners.add(check)
        check()
      }),
    async writeInPieces(bytes) {
      for (const byte of bytes) {
        socket.write(Buffer.from([byte]))
        await sleep(1)
      }
    },
  }
}
