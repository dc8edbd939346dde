import type { TransportFailure, TransportFailureCause } from '@sfp/schemas'

/**
 * What each undici / socket error code means, for every request through an egress: the proxy's
 * 502 or 504 and its log row, a broken-off answer, a failed way out. Chosen by code, never by
 * message (which may quote a proxy's answer, or its address).
 */
const CAUSES: Record<string, TransportFailureCause> = {
  UND_ERR_CONNECT_TIMEOUT: 'connect_timeout',
  ETIMEDOUT: 'connect_timeout',
  UND_ERR_HEADERS_TIMEOUT: 'headers_timeout',
  UND_ERR_BODY_TIMEOUT: 'body_timeout',
  UND_ERR_SOCKET: 'connection_closed',
  ECONNREFUSED: 'connection_refused',
  ECONNRESET: 'connection_reset',
  EPIPE: 'connection_reset',
  // undici's code for a proxy that refused the tunnel (a 407 included). A request aborted by its
  // own signal never gets here: its caller rethrows the signal's reason instead.
  UND_ERR_ABORTED: 'tunnel_refused',
  UND_ERR_HEADERS_OVERFLOW: 'headers_too_large',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'answer_too_short',
  ENOTFOUND: 'host_not_found',
  EAI_AGAIN: 'dns_failed',
  EHOSTUNREACH: 'host_unreachable',
  ENETUNREACH: 'network_unreachable',
  // The egress's dispatcher was closed: the egress deleted, or the server stopping.
  UND_ERR_CLOSED: 'shutting_down',
  UND_ERR_DESTROYED: 'shutting_down',
}

/** The error's code (undici's `UND_ERR_*` or the errno): its own, an AggregateError's first, its cause's. */
export function errorCodeOf(error: unknown): string {
  if (typeof error !== 'object' || error === null) return 'UNKNOWN'
  const { code, errors, cause } = error as { code?: unknown; errors?: unknown; cause?: unknown }
  if (typeof code === 'string' && code !== '') return code
  if (Array.isArray(errors) && errors.length > 0) return errorCodeOf(errors[0])
  if (cause !== undefined && cause !== error) return errorCodeOf(cause)
  return 'UNKNOWN'
}

/** What a failed request through an egress came to, from its error's code. */
export function transportFailure(error: unknown): TransportFailure {
  const code = errorCodeOf(error)
  return { cause: causeOf(code), code }
}

function causeOf(code: string): TransportFailureCause {
  const known = CAUSES[code]
  if (known !== undefined) return known
  if (code.startsWith('UND_ERR_SOCKS5')) return 'socks_refused'
  if (code.startsWith('HPE_')) return 'malformed_answer'
  return 'failed'
}
