import type { Socket } from 'node:net'

export interface LingerBounds {
  /** Longest time the rest of the request is read after the answer. */
  maxMs: number
  /** Most bytes read (and thrown away) after the answer. */
  maxBytes?: number
}

/**
 * Close a connection whose client may still be sending, without losing the answer.
 *
 * Destroying a socket while bytes of the client wait unread makes the kernel send a reset, and a
 * reset can overtake the answer written just before it: the client, still writing its body, sees
 * ECONNRESET instead of the 413 (or 400). So the socket is ended (the answer goes out, then FIN),
 * what still arrives is read and thrown away, and the socket is destroyed once the client has
 * sent everything (its FIN), or after `maxMs`, or after `maxBytes` more: a client never holds a
 * refused connection for long.
 *
 * The reading itself is the caller's: Node's HTTP parser keeps consuming the socket (a request
 * body is discarded through its IncomingMessage, bytes after a parse error by llhttp).
 */
export function lingerThenDestroy(socket: Socket, { maxMs, maxBytes }: LingerBounds): void {
  if (socket.destroyed) return
  if (socket.writable) socket.end()
  const readBefore = socket.bytesRead
  const deadline = Date.now() + maxMs
  const destroy = () => socket.destroy()
  const check = setInterval(
    () => {
      const over = maxBytes !== undefined && socket.bytesRead - readBefore > maxBytes
      if (over || Date.now() >= deadline) destroy()
    },
    Math.max(10, Math.min(100, maxMs)),
  )
  check.unref()
  socket.once('end', destroy)
  socket.once('close', () => clearInterval(check))
}
