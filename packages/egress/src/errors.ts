import createError from '@fastify/error'
import { API_ERRORS } from '@sfp/schemas'

/**
 * Errors of the egress package. Codes are `SFP_` + the error code (docs/behaviour.md §6 and §8)
 * in capitals, which is how the server's error handler finds the answer's `code`. Messages carry
 * ids, never URLs (a proxy URL may hold a password).
 */
export const EgressNotFound = createError<'SFP_NOT_FOUND', number, [number]>(
  'SFP_NOT_FOUND',
  'No egress with id %d',
  API_ERRORS.not_found.status,
)

export const EgressExists = createError<'SFP_EGRESS_EXISTS', number, [number]>(
  'SFP_EGRESS_EXISTS',
  'Egress #%d already goes out this way (same scheme, host and port; for direct, the same local address): it is the same IP',
  API_ERRORS.egress_exists.status,
)

export const EgressBuiltin = createError<'SFP_EGRESS_BUILTIN', number, []>(
  'SFP_EGRESS_BUILTIN',
  'The built-in direct egress cannot be deleted: disable it, or set EGRESS_DIRECT=false',
  API_ERRORS.egress_builtin.status,
)

/** Boot refusals, with the key pool's codes so the server prints them as one explained line. */
export const ProxyPasswordsLocked = createError<'SFP_ENCRYPTION_KEY_MISSING', number, [number]>(
  'SFP_ENCRYPTION_KEY_MISSING',
  '%d stored proxy passwords are encrypted but ENCRYPTION_KEY is not set. ' +
    'Start again with the ENCRYPTION_KEY they were encrypted with; nothing was changed.',
  500,
)

export const ProxyPasswordsMismatch = createError<'SFP_ENCRYPTION_KEY_MISMATCH', number, []>(
  'SFP_ENCRYPTION_KEY_MISMATCH',
  'ENCRYPTION_KEY does not match the key the stored proxy passwords were encrypted with. ' +
    'Start again with the previous ENCRYPTION_KEY; nothing was changed.',
  500,
)
