import createError from '@fastify/error'
import {
  type ApiErrorBody,
  type Explanation,
  errorBody,
  explanation,
  explanationOf,
  PROXY_ERRORS,
  type ProxyErrorCode,
} from '@sfp/schemas'
import type { ClientRefusal } from './options.js'

/**
 * Errors made by the proxy itself. Codes are `SFP_` + the error code (docs/behaviour.md §3) in
 * capitals (the server's error handler and `proxyErrorAnswer` both read them that way); statuses
 * come from `PROXY_ERRORS`.
 * Upstream failures carry the undici error as `cause`.
 */
/** A reason for the message, and the underlying (undici) error. */
type WithCause = [reason: string, options?: { cause: unknown }]

export const InvalidClientKey = createError<'SFP_INVALID_CLIENT_KEY', number, []>(
  'SFP_INVALID_CLIENT_KEY',
  'Missing or unknown client key: send it as "Authorization: Bearer <key>" or "x-api-key"',
  PROXY_ERRORS.invalid_client_key.status,
)
export const InvalidJson = createError<'SFP_INVALID_JSON', number, [string]>(
  'SFP_INVALID_JSON',
  'The request body is not valid JSON: %s',
  PROXY_ERRORS.invalid_json.status,
)
const RequestTooLargeError = createError<'SFP_REQUEST_TOO_LARGE', number, [number]>(
  'SFP_REQUEST_TOO_LARGE',
  'The request body is larger than the limit of %d bytes',
  PROXY_ERRORS.request_too_large.status,
)
/** `explanation`: the message as a code with its params, for the answer's body. */
export class RequestTooLarge extends RequestTooLargeError {
  readonly explanation: Explanation
  constructor(limitBytes: number) {
    super(limitBytes)
    this.explanation = explanation('body_too_large', { limitBytes })
  }
}
const RequestTimeoutError = createError<'SFP_REQUEST_TIMEOUT', number, [number]>(
  'SFP_REQUEST_TIMEOUT',
  'The request body stopped arriving for %d ms; nothing was sent upstream',
  PROXY_ERRORS.request_timeout.status,
)
export class RequestTimeout extends RequestTimeoutError {
  readonly explanation: Explanation
  constructor(idleMs: number) {
    super(idleMs)
    this.explanation = explanation('body_stalled', { idleMs })
  }
}
/**
 * The methods the proxy routes forward: the ones SiliconFlow's API uses (GET, POST, and DELETE
 * for OpenAI-style deletions). Anything else is refused with 405 `method_not_allowed` before it
 * is queued: `TRACE` in particular would be echoed back, upstream key included, by an RFC 9110
 * recipient, and `HEAD` has no use with this API.
 */
export const FORWARDED_METHODS: ReadonlySet<string> = new Set(['GET', 'POST', 'DELETE'])
/** The `Allow` header of a 405 from the proxy routes. */
export const ALLOWED_METHODS = [...FORWARDED_METHODS].join(', ')
const MethodNotAllowedError = createError<'SFP_METHOD_NOT_ALLOWED', number, [string]>(
  'SFP_METHOD_NOT_ALLOWED',
  `The proxy does not forward %s requests: use ${ALLOWED_METHODS}`,
  PROXY_ERRORS.method_not_allowed.status,
)
export class MethodNotAllowed extends MethodNotAllowedError {
  readonly explanation: Explanation
  constructor(method: string) {
    super(method)
    this.explanation = explanation('method_refused', { method, allowed: [...FORWARDED_METHODS] })
  }
}
export const UpstreamUnreachable = createError<'SFP_UPSTREAM_UNREACHABLE', number, WithCause>(
  'SFP_UPSTREAM_UNREACHABLE',
  'The upstream could not be reached or sent a broken answer (%s)',
  PROXY_ERRORS.upstream_unreachable.status,
)
export const UpstreamTimeout = createError<'SFP_UPSTREAM_TIMEOUT', number, WithCause>(
  'SFP_UPSTREAM_TIMEOUT',
  'The upstream did not answer in time (%s)',
  PROXY_ERRORS.upstream_timeout.status,
)
export const UpstreamStreamError = createError<'SFP_UPSTREAM_STREAM_ERROR', number, WithCause>(
  'SFP_UPSTREAM_STREAM_ERROR',
  'The upstream answer broke off (%s)',
  PROXY_ERRORS.upstream_stream_error.status,
)
/**
 * A client key's own limit refused the request (the server's `admit`, docs/behaviour.md §12):
 * answered with the refusal's code, status and Retry-After, like the errors above.
 */
export class ClientRefused extends Error {
  readonly code: string
  readonly statusCode: number
  readonly retryAfterSeconds: number | undefined
  constructor(refusal: ClientRefusal) {
    super(refusal.message)
    this.name = 'ClientRefused'
    this.code = `SFP_${refusal.code.toUpperCase()}`
    this.statusCode = refusal.status
    this.retryAfterSeconds = refusal.retryAfterSeconds
  }
}
/** The reason given to the abort signal when the client goes away; never sent to anyone. */
export const ClientGone = createError<'SFP_CLIENT_GONE', number, []>(
  'SFP_CLIENT_GONE',
  'The client closed the connection',
  499,
)

/** An error the proxy answers itself, in the error envelope (docs/behaviour.md §3). */
export interface ProxyErrorAnswer {
  status: number
  code: ProxyErrorCode
  message: string
  /** The message as a code with its params (the dispatch's refusals, the errors above). */
  explanation: Explanation | undefined
  retryAfterSeconds: number | undefined
}

/** Fastify's own errors that have an error code of their own (the JSON body parser's limit). */
const FASTIFY_CODES: Record<string, ProxyErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'request_too_large',
}

/**
 * The error envelope's answer for an error: `SFP_<CODE>` codes (this package's and the dispatch
 * package's) map to `<code>`, a numeric `retryAfterSeconds` becomes Retry-After. Undefined for
 * anything else, which is left to the server's error handler.
 */
export function proxyErrorAnswer(error: unknown): ProxyErrorAnswer | undefined {
  if (!(error instanceof Error)) return undefined
  const { code, statusCode, retryAfterSeconds } = error as Error & {
    code?: unknown
    statusCode?: unknown
    retryAfterSeconds?: unknown
  }
  if (typeof code !== 'string') return undefined
  const lower = code.startsWith('SFP_') ? code.slice(4).toLowerCase() : FASTIFY_CODES[code]
  if (lower === undefined || !(lower in PROXY_ERRORS)) return undefined
  const known = lower as ProxyErrorCode
  const status =
    typeof statusCode === 'number' && statusCode >= 400 && statusCode < 600
      ? statusCode
      : PROXY_ERRORS[known].status
  return {
    status,
    code: known,
    message: error.message,
    explanation: explanationOf(error),
    retryAfterSeconds: typeof retryAfterSeconds === 'number' ? retryAfterSeconds : undefined,
  }
}

/** The answer's body: the envelope with the explanation, when the error had one. */
export function proxyErrorBody(answer: ProxyErrorAnswer): ApiErrorBody {
  return errorBody(answer.code, answer.message, { explanation: answer.explanation })
}
