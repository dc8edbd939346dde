import { type ServerResponse, STATUS_CODES } from 'node:http'
import { type ApiErrorCode, errorBody, type ProxyErrorCode } from '@sfp/schemas'

export type ErrorCode = ProxyErrorCode | ApiErrorCode

/** An error the HTTP layer answers itself, before (or instead of) Fastify. */
export interface RawRefusal {
  status: number
  code: ErrorCode
  message: string
}

const JSON_TYPE = 'application/json; charset=utf-8'

/**
 * A whole HTTP/1.1 answer as bytes, for a socket whose parser gave up (no ServerResponse to write
 * with): the error envelope, framed by Content-Length, and `Connection: close`.
 */
export function rawAnswer({ status, code, message }: RawRefusal): string {
  const body = JSON.stringify(errorBody(code, message))
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
    'Connection: close\r\n' +
    `Content-Type: ${JSON_TYPE}\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    `Date: ${new Date().toUTCString()}\r\n` +
    `\r\n${body}`
  )
}

/** The same answer through a ServerResponse (a request Node parsed, refused before Fastify). */
export function sendRefusal(res: ServerResponse, { status, code, message }: RawRefusal): void {
  const body = JSON.stringify(errorBody(code, message))
  res.writeHead(status, {
    connection: 'close',
    'content-type': JSON_TYPE,
    'content-length': Buffer.byteLength(body),
  })
  res.end(body)
}
