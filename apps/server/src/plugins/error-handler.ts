import {
  API_ERRORS,
  type ApiErrorCode,
  type Explanation,
  errorBody,
  explanation,
  explanationOf,
  PROXY_ERRORS,
  type ProxyErrorCode,
} from '@sfp/schemas'
import type { FastifyBaseLogger, FastifyError } from 'fastify'
import fp from 'fastify-plugin'
import type { RetryAfter } from '../errors.js'
import { validationFields } from '../validation.js'

/** A code of the error envelope: the proxy's (docs/behaviour.md §3) or the admin API's (§6). */
type ErrorCode = ProxyErrorCode | ApiErrorCode

const ERROR_CODES: Record<string, { status: number }> = { ...API_ERRORS, ...PROXY_ERRORS }

/** Fastify's own errors that have an envelope code. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'request_too_large',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
}

/** `SFP_QUEUE_FULL` -> `queue_full`; Fastify codes through the table above. */
function envelopeCode(error: FastifyError): ErrorCode | undefined {
  const code = error.code ?? ''
  const lower = code.startsWith('SFP_') ? code.slice(4).toLowerCase() : FASTIFY_CODES[code]
  return lower !== undefined && lower in ERROR_CODES ? (lower as ErrorCode) : undefined
}

function statusOf(error: FastifyError, code: ErrorCode | undefined): number {
  const status = error.statusCode ?? 0
  if (status >= 400 && status < 600) return status
  return code === undefined ? 500 : (ERROR_CODES[code]?.status ?? 500)
}

/** Fastify's limit as a code, like the proxy's own 413 (`RequestTooLarge`). */
function fastifyExplanation(
  error: FastifyError,
  bodyLimit: number | undefined,
): Explanation | undefined {
  if (error.code !== 'FST_ERR_CTP_BODY_TOO_LARGE' || bodyLimit === undefined) return undefined
  return explanation('body_too_large', { limitBytes: bodyLimit })
}

function fallbackCode(status: number): ErrorCode {
  if (status === 404) return 'not_found'
  return status < 500 ? 'validation_error' : 'internal_error'
}

/** Where an error is answered: Fastify's reply, or the server's front door's (`RawReply`). */
interface ErrorReply {
  code(status: number): ErrorReply
  header(name: string, value: string): unknown
  send(payload: unknown): unknown
}

/**
 * The one place errors become answers: every error leaves in the OpenAI-style envelope; details
 * of unexpected 5xx are logged with the request's context and hidden from the client. The error
 * handler below and the server's front door (src/http/front-door.ts) both answer through it.
 */
export function answerError(
  error: FastifyError & RetryAfter,
  request: { log: FastifyBaseLogger; bodyLimit?: number },
  reply: ErrorReply,
): void {
  const code = envelopeCode(error)
  const status = statusOf(error, code)
  const expected = code !== undefined || status < 500
  if (expected) {
    request.log.info({ code: code ?? error.code, status }, error.message)
  } else {
    request.log.error({ err: error }, 'request failed')
  }
  if (error.retryAfterSeconds !== undefined) {
    reply.header('retry-after', String(error.retryAfterSeconds))
  }
  const message = expected ? error.message : 'Internal server error'
  // The dispatch's refusals (and other errors that carry one) say why as a code too, so the
  // dashboard words it in the reader's language; an unexpected error explains nothing.
  const details = expected
    ? {
        fields: validationFields(error),
        explanation: explanationOf(error) ?? fastifyExplanation(error, request.bodyLimit),
      }
    : {}
  reply.code(status).send(errorBody(code ?? fallbackCode(status), message, details))
}

export default fp(
  async (app) => {
    app.setErrorHandler((error: FastifyError & RetryAfter, request, reply) => {
      const { log, routeOptions } = request
      answerError(error, { log, bodyLimit: routeOptions.bodyLimit }, reply)
    })
  },
  { name: 'error-handler', fastify: '5.x' },
)
