import createError from '@fastify/error'
import { type Explanation, explanation, PROXY_ERRORS } from '@sfp/schemas'

/**
 * Errors of the dispatch package. Codes are `SFP_` + the error code (docs/behaviour.md §3) in
 * capitals, which is how the server's error handler finds the answer's `code`; statuses come from
 * `PROXY_ERRORS`.
 */
const QueueFullError = createError<'SFP_QUEUE_FULL', number, [number, number]>(
  'SFP_QUEUE_FULL',
  'The upstream queue is full (%d requests waiting); try again in %d seconds',
  PROXY_ERRORS.queue_full.status,
)
/**
 * `explanation`: the same as a code the dashboard words (the refusals' is set by `refusalError`).
 * With `clientShare` it is the client key's share of the queue that is full (CLIENT_QUEUE_SHARE,
 * at most `clientShare` waiters), `waiting` being that key's own requests.
 */
export class QueueFull extends QueueFullError {
  readonly explanation: Explanation
  constructor(waiting: number, retryAfterSeconds: number, clientShare?: number) {
    super(waiting, retryAfterSeconds)
    if (clientShare === undefined) {
      this.explanation = explanation('queue_full', { waiting, retryAfterSeconds })
    } else {
      this.message = `This client key's share of the upstream queue is full (${waiting} of its requests waiting, at most ${clientShare}); try again in ${retryAfterSeconds} seconds`
      this.explanation = explanation('queue_full', { waiting, retryAfterSeconds, clientShare })
    }
  }
}
const QueueTimeoutError = createError<'SFP_QUEUE_TIMEOUT', number, [number]>(
  'SFP_QUEUE_TIMEOUT',
  'No upstream slot became free within %d ms',
  PROXY_ERRORS.queue_timeout.status,
)
export class QueueTimeout extends QueueTimeoutError {
  readonly explanation: Explanation
  constructor(waitedMs: number) {
    super(waitedMs)
    this.explanation = explanation('queue_timeout', { waitedMs })
  }
}
export const KeySwitchGuard = createError<'SFP_KEY_SWITCH_GUARD', number, [string]>(
  'SFP_KEY_SWITCH_GUARD',
  '%s',
  PROXY_ERRORS.key_switch_guard.status,
)
export const RateLimited = createError<'SFP_RATE_LIMITED', number, [string]>(
  'SFP_RATE_LIMITED',
  '%s',
  PROXY_ERRORS.rate_limited.status,
)
export const NoAvailableKey = createError<'SFP_NO_AVAILABLE_KEY', number, [string]>(
  'SFP_NO_AVAILABLE_KEY',
  '%s',
  PROXY_ERRORS.no_available_key.status,
)
/**
 * No key may use the request's model (upstream refused it to each): `no_available_key`, but with
 * the upstream's own 403, since asking again will not help until a key is added or activated.
 */
export const ModelUnavailable = createError<'SFP_NO_AVAILABLE_KEY', number, [string]>(
  'SFP_NO_AVAILABLE_KEY',
  '%s',
  403,
)
export const NoAvailableEgress = createError<'SFP_NO_AVAILABLE_EGRESS', number, [string]>(
  'SFP_NO_AVAILABLE_EGRESS',
  '%s',
  PROXY_ERRORS.no_available_egress.status,
)
export const EgressBlocked = createError<'SFP_EGRESS_BLOCKED', number, [string]>(
  'SFP_EGRESS_BLOCKED',
  '%s',
  PROXY_ERRORS.egress_blocked.status,
)
/** Cluster mode: this instance's leases lapsed with PostgreSQL unreachable (docs/behaviour.md §9). */
export const DatabaseUnavailable = createError<'SFP_DATABASE_UNAVAILABLE', number, [string]>(
  'SFP_DATABASE_UNAVAILABLE',
  '%s',
  PROXY_ERRORS.database_unavailable.status,
)
const ShuttingDownError = createError<'SFP_SHUTTING_DOWN', number, []>(
  'SFP_SHUTTING_DOWN',
  'The server is shutting down; try again shortly',
  PROXY_ERRORS.shutting_down.status,
)
export class ShuttingDown extends ShuttingDownError {
  readonly explanation: Explanation = explanation('shutting_down', {})
}

/** Errors that tell the client when to come back carry this; the server sets `Retry-After`. */
export interface RetryAfter {
  retryAfterSeconds?: number
}

/** Whole seconds, at least 1: `Retry-After: 0` would invite an immediate, equally futile retry. */
export function withRetryAfter<E extends Error>(error: E, seconds: number): E & RetryAfter {
  return Object.assign(error, { retryAfterSeconds: retryAfterSeconds(seconds * 1000) })
}

/** Milliseconds from now until a time, as the whole seconds of a `Retry-After` header (≥ 1). */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000))
}
