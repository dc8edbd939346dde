import createError from '@fastify/error'
import { API_ERRORS, type Explanation, explanation, explanationText } from '@sfp/schemas'

/**
 * Errors raised by the server itself. Codes are `SFP_` + the error code (docs/behaviour.md §6) in
 * capitals, which is how the error handler finds the code to put in the answer.
 */
export const Unauthorized = createError(
  'SFP_UNAUTHORIZED',
  'Admin user name or password is wrong',
  401,
)
export const TooManyFailedLogins = createError(
  'SFP_TOO_MANY_FAILED_LOGINS',
  'Too many failed logins from this address; try again in %d seconds',
  429,
)
export const CrossSiteRequest = createError(
  'SFP_CROSS_SITE_REQUEST',
  'Requests from another site may not change anything here',
  403,
)
export const NotFound = createError('SFP_NOT_FOUND', '%s', 404)

const SqliteOnlyError = createError<'SFP_SQLITE_ONLY', number, []>(
  'SFP_SQLITE_ONLY',
  explanationText(explanation('sqlite_only', { feature: 'backup' })),
  API_ERRORS.sqlite_only.status,
)
/** The backup download on a server with DATABASE_URL: there is no SQLite file to copy. */
export class BackupSqliteOnly extends SqliteOnlyError {
  readonly explanation: Explanation = explanation('sqlite_only', { feature: 'backup' })
}
export const ValidationFailed = createError('SFP_VALIDATION_ERROR', '%s', 400)

/** Errors that tell the client when to come back carry this (seconds). */
export interface RetryAfter {
  retryAfterSeconds?: number
}

export function withRetryAfter<E extends Error>(error: E, seconds: number): E & RetryAfter {
  return Object.assign(error, { retryAfterSeconds: Math.max(1, Math.ceil(seconds)) })
}
