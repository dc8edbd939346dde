import type { IncomingMessage, ServerResponse } from 'node:http'

/** What an echo is made of: the request as it arrived. */
export type EchoedRequest = Pick<IncomingMessage, 'method' | 'url' | 'httpVersion' | 'rawHeaders'>

/**
 * The request as `message/http` content (RFC 9110 §9.3.8, the answer to TRACE): the request line,
 * every header field as received, in order and spelled as sent (Authorization included), a blank
 * line, then the body. Header values are Latin-1 as Node read them, so the bytes are the sent ones.
 */
export function echoOf(request: EchoedRequest, body: Buffer): Buffer {
  const lines = [`${request.method} ${request.url} HTTP/${request.httpVersion}`]
  const { rawHeaders } = request
  for (let i = 0; i + 1 < rawHeaders.length; i += 2)
    lines.push(`${rawHeaders[i]}: ${rawHeaders[i + 1]}`)
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body])
}

/** 200 `message/http` with the echo as its body. */
export function writeEcho(
  res: ServerResponse,
  echo: Buffer,
  onBytes: (bytes: number) => void = () => {},
): void {
  res.writeHead(200, { 'content-type': 'message/http', 'content-length': String(echo.length) })
  onBytes(echo.length)
  res.end(echo)
}
