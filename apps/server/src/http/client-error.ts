import type { ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyBaseLogger } from 'fastify'
import { lingerThenDestroy } from './linger.js'
import { type RawRefusal, rawAnswer } from './raw-answer.js'

export interface ClientErrorSettings {
  /** CLIENT_HEADERS_TIMEOUT_MS. */
  headersTimeoutMs: number
  /** CLIENT_REQUEST_TIMEOUT_MS (0 = off). */
  requestTimeoutMs: number
  /** How long a refused connection is read (and discarded) before it is closed. */
  lingerMs: number
}

interface ParserError extends Error {
  code?: string
  /** llhttp's own words ("Invalid header value char"): never the client's bytes. */
  reason?: string
}

/** The response Node has assigned to the socket, if a request on it reached the handlers. */
const responseOf = (socket: Socket) =>
  (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage ?? null

function refusalFor(error: ParserError, socket: Socket, settings: ClientErrorSettings): RawRefusal {
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT': {
      // Node gives both timeouts one code: a request that reached the handlers had its head.
      const message =
        responseOf(socket) === null
          ? `The request head did not arrive within ${settings.headersTimeoutMs} ms`
          : `The request did not arrive whole within ${settings.requestTimeoutMs} ms`
      return { status: 408, code: 'request_timeout', message }
    }
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        code: 'request_too_large',
        message: 'The request head (request line and headers) is larger than 16 KiB',
      }
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return {
        status: 413,
        code: 'request_too_large',
        message: 'The chunk extensions of the request body are too large',
      }
    default:
      return {
        status: 400,
        code: 'validation_error',
        message: `The request is not valid HTTP/1.1: ${error.reason ?? error.code ?? 'malformed'}`,
      }
  }
}

/** Sockets already answered: llhttp reports its error again for every later chunk. */
const answered = new WeakSet<Socket>()

/**
 * Fastify's `clientErrorHandler` (Node's 'clientError'): what Node's parser refuses (bad framing,
 * CL.TE, obs-fold, bad chunk sizes, a head over 16 KiB) and the receive timeouts
 * (CLIENT_HEADERS_TIMEOUT_MS, CLIENT_REQUEST_TIMEOUT_MS), answered in the error envelope with
 * `Connection: close`. The socket is ended after the answer and read (discarded) for a moment
 * before it is destroyed, so that the client sees the answer rather than a reset. Nothing is
 * written when an answer has already begun on the socket: it is only destroyed.
 */
export function createClientErrorHandler(
  settings: ClientErrorSettings,
  log: () => FastifyBaseLogger,
): (error: ParserError, socket: Socket) => void {
  return (error, socket) => {
    if (answered.has(socket)) return
    answered.add(socket)
    if (error.code === 'ECONNRESET' || socket.destroyed) {
      socket.destroy()
      return
    }
    const response = responseOf(socket)
    if (!socket.writable || response?.headersSent === true) {
      socket.destroy()
      return
    }
    const refusal = refusalFor(error, socket, settings)
    log().debug(
      { code: error.code, status: refusal.status, remote: socket.remoteAddress },
      'malformed or late request refused',
    )
    socket.end(rawAnswer(refusal))
    lingerThenDestroy(socket, { maxMs: settings.lingerMs })
  }
}
