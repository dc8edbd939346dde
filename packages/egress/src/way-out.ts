import type { EgressKind } from '@sfp/schemas'
import type { Dispatcher } from 'undici'

/**
 * Set on an undici error when the request never reached a connected socket: the connection to
 * the proxy, the proxy's own answer (407, a SOCKS refusal), the tunnel or the TLS handshake to
 * the upstream failed. Not one byte of the request went upstream, so it may go through another
 * egress, and the key had nothing to do with it.
 */
export const BEFORE_SEND = Symbol('sfp.egress.beforeSend')

type Handler = Dispatcher.DispatchHandler

/**
 * An undici interceptor that marks errors raised before the request was handed to a socket
 * (`onRequestStart` is called once a connection is up, right before the request is written).
 */
export function markErrorsBeforeSend(dispatch: Dispatcher['dispatch']): Dispatcher['dispatch'] {
  return (options, handler: Handler) => {
    let started = false
    const marking: Handler = {
      onRequestStart(controller, context) {
        started = true
        handler.onRequestStart?.(controller, context)
      },
      onRequestUpgrade(controller, statusCode, headers, socket) {
        handler.onRequestUpgrade?.(controller, statusCode, headers, socket)
      },
      onResponseStart(controller, statusCode, headers, statusMessage) {
        handler.onResponseStart?.(controller, statusCode, headers, statusMessage)
      },
      onResponseData(controller, chunk) {
        handler.onResponseData?.(controller, chunk)
      },
      onResponseEnd(controller, trailers) {
        handler.onResponseEnd?.(controller, trailers)
      },
      onResponseError(controller, error) {
        if (!started && typeof error === 'object' && error !== null) {
          Object.defineProperty(error, BEFORE_SEND, { value: true })
        }
        handler.onResponseError?.(controller, error)
      },
    }
    return dispatch(options, marking)
  }
}

/**
 * Local address problems of a direct egress: the configured source address is not (or no longer)
 * this host's. Other failures of a direct egress (the upstream refusing or unreachable) stay the
 * key's network errors, exactly as before egresses existed.
 */
const DIRECT_WAY_OUT_CODES = new Set(['EADDRNOTAVAIL', 'EADDRINUSE', 'EINVAL'])

/** The error's code (undici's `UND_ERR_*` or the errno), first of an `AggregateError`'s. */
export function errorCodeOf(error: unknown): string {
  if (typeof error !== 'object' || error === null) return 'UNKNOWN'
  const { code, errors } = error as { code?: unknown; errors?: unknown }
  if (typeof code === 'string' && code !== '') return code
  if (Array.isArray(errors) && errors.length > 0) return errorCodeOf(errors[0])
  return 'UNKNOWN'
}

/** Whether `error`, from a request sent through an egress of `kind`, is the egress's failure. */
export function isWayOutFailure(kind: EgressKind, error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const causes = [error, (error as { cause?: unknown }).cause]
  const before = causes.some(
    (cause) => typeof cause === 'object' && cause !== null && BEFORE_SEND in cause,
  )
  if (!before) return false
  if (kind !== 'direct') return true
  return causes.some((cause) => DIRECT_WAY_OUT_CODES.has(errorCodeOf(cause)))
}

/**
 * A short reason for a way-out failure, by code (never by message, which may quote the proxy's
 * answer). undici reports a refused HTTP tunnel (a 407 included) as UND_ERR_ABORTED.
 */
export function wayOutReason(error: unknown): string {
  const cause = (error as { cause?: unknown } | null)?.cause ?? error
  const code = errorCodeOf(cause)
  if (code === 'UND_ERR_ABORTED') return 'the proxy refused the tunnel (UND_ERR_ABORTED)'
  if (code.startsWith('UND_ERR_SOCKS5')) return `SOCKS5 refusal (${code})`
  if (code === 'ECONNREFUSED') return 'the proxy refused the connection (ECONNREFUSED)'
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') return `connect timeout (${code})`
  return `the way out failed (${code})`
}
