import type { IncomingMessage } from 'node:http'
import type { RawRefusal } from './raw-answer.js'

/**
 * `Host` as RFC 9112 §3.2 / RFC 3986 allow it: an IP literal in brackets or a reg-name / IPv4
 * (unreserved, sub-delims, percent escapes; empty is allowed), then an optional port.
 */
const HOST_VALUE = /^(?:\[[0-9A-Za-z:.%]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::[0-9]*)?$/

const refusal = (message: string): RawRefusal => ({
  status: 400,
  code: 'validation_error',
  message,
})

/**
 * What Node's parser (llhttp, strict) lets through and RFC 9112 does not: a request line without
 * an HTTP/1.x version (llhttp reads `GET /path\r\n` as HTTP/0.9, headers and all), an HTTP/1.1
 * request without exactly one valid `Host` (§3.2), and `Transfer-Encoding` in HTTP/1.0, whose
 * framing is then faulty (§6.1). Undefined when the head is fine.
 */
export function requestHeadProblem(req: IncomingMessage): RawRefusal | undefined {
  if (req.httpVersionMajor !== 1) {
    return refusal(`HTTP/${req.httpVersion} is not supported: send HTTP/1.1`)
  }
  const raw = req.rawHeaders
  let hosts = 0
  for (let at = 0; at < raw.length; at += 2) {
    const name = raw[at] as string
    if (name.length === 4 && name.toLowerCase() === 'host') hosts += 1
  }
  if (hosts > 1) return refusal('The request has more than one Host header')
  if (hosts === 0 && req.httpVersionMinor === 1) {
    return refusal('An HTTP/1.1 request needs a Host header')
  }
  const host = req.headers.host
  if (host !== undefined && !HOST_VALUE.test(host)) {
    return refusal('The Host header is not a valid host[:port]')
  }
  if (req.httpVersionMinor === 0 && req.headers['transfer-encoding'] !== undefined) {
    return refusal('Transfer-Encoding is not allowed in an HTTP/1.0 request')
  }
  return undefined
}
