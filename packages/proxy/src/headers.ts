import type { IncomingHttpHeaders } from 'node:http'

/**
 * Which headers cross the proxy. Both directions are allow-lists: anything not named here (the
 * client key, cookies, hop-by-hop and x-forwarded-* headers, accept-encoding, SDK telemetry) stays
 * on its side. Without accept-encoding the upstream answers uncompressed, so usage can be read.
 * @see docs/behaviour.md §3 "Sent upstream" / "Returned"
 */
export const FORWARDED_REQUEST_HEADERS = ['content-type', 'accept'] as const

/**
 * Returned to the client besides the status. `retry-after` tells SDKs when to come back and
 * `content-disposition` names downloaded files; `content-length` is added when the body is
 * passed on unchanged.
 */
export const RETURNED_HEADERS = [
  'content-type',
  'x-siliconcloud-trace-id',
  'retry-after',
  'content-disposition',
] as const

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value
}

/** The client key as presented: `Authorization: Bearer <key>`, else `x-api-key`. */
export function presentedClientKey(headers: IncomingHttpHeaders): string | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '')?.[1]
  if (bearer !== undefined) return bearer
  const apiKey = single(headers['x-api-key'])?.trim()
  return apiKey === '' ? undefined : apiKey
}

/**
 * Headers of an upstream attempt: the allow-listed client headers and the chosen upstream key.
 * An upload sent from its spool file announces its length (else undici sends it chunked); a
 * byte body gets its length from undici.
 */
export function upstreamRequestHeaders(
  client: IncomingHttpHeaders,
  secret: string,
  streamedLength?: string,
): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = single(client[name])
    if (value !== undefined) headers[name] = value
  }
  if (streamedLength !== undefined) headers['content-length'] = streamedLength
  headers.authorization = `Bearer ${secret}`
  return headers
}

/** `RETURNED_HEADERS` of an answer whose body is passed on unchanged (built once, not per answer). */
const RETURNED_WITH_LENGTH = [...RETURNED_HEADERS, 'content-length'] as const

/** Headers returned to the client from an upstream answer. */
export function clientResponseHeaders(
  upstream: IncomingHttpHeaders,
  bodyUnchanged: boolean,
): Record<string, string> {
  const headers: Record<string, string> = {}
  const names = bodyUnchanged ? RETURNED_WITH_LENGTH : RETURNED_HEADERS
  for (const name of names) {
    const value = single(upstream[name])
    if (value !== undefined) headers[name] = value
  }
  return headers
}
