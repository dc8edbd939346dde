import {
  type EgressKind,
  type ExplanationOf,
  type ExplanationParams,
  explanation,
  type TransportFailure,
  type TransportFailureCause,
} from '@sfp/schemas'
import type { Dispatcher } from 'undici'
import { errorCodeOf } from './transport-failure.js'

type EgressDownCause = ExplanationParams<'egress_down'>['cause']

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

/** Which causes of a failed way out the egress's state names; any other is `failed`. */
const DOWN_CAUSES: Partial<Record<TransportFailureCause, EgressDownCause>> = {
  tunnel_refused: 'tunnel_refused',
  socks_refused: 'socks_refused',
  connection_refused: 'connection_refused',
  connect_timeout: 'timeout',
}

/**
 * Why the egress is `down` after this way-out failure: its cause and code, never the error's
 * message (which may quote the proxy's answer), nor the proxy's URL or password.
 */
export function wayOutExplanation(failure: TransportFailure): ExplanationOf<'egress_down'> {
  return explanation('egress_down', {
    cause: DOWN_CAUSES[failure.cause] ?? 'failed',
    code: failure.code,
  })
}
