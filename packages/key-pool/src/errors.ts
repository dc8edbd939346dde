import createError from '@fastify/error'

/**
 * Errors of the key pool. Codes are `SFP_` + the error code (docs/behaviour.md §6) in capitals,
 * which is how the server's error handler finds the answer's `code`. Messages carry key ids,
 * never keys.
 */
export const KeyNotFound = createError<'SFP_NOT_FOUND', number, [number]>(
  'SFP_NOT_FOUND',
  'No upstream key with id %d',
  404,
)

/**
 * A background check reached the front of the queue after its key stopped being the one in use:
 * it is dropped before anything is sent or recorded (see `UpstreamGate`).
 */
export const CheckNotNeeded = createError<'SFP_CHECK_NOT_NEEDED', number, []>(
  'SFP_CHECK_NOT_NEEDED',
  'The key is no longer the one in use; the check was dropped',
  409,
)

/** Boot refusals: starting anyway would lose or silently mis-read the stored keys. */
export const EncryptionKeyMismatch = createError<'SFP_ENCRYPTION_KEY_MISMATCH', number, []>(
  'SFP_ENCRYPTION_KEY_MISMATCH',
  'ENCRYPTION_KEY does not match the key the stored upstream keys were encrypted with. ' +
    'Start again with the previous ENCRYPTION_KEY; nothing was changed.',
  500,
)

export const EncryptionKeyMissing = createError<'SFP_ENCRYPTION_KEY_MISSING', number, [number]>(
  'SFP_ENCRYPTION_KEY_MISSING',
  '%d stored upstream keys are encrypted but ENCRYPTION_KEY is not set. ' +
    'Start again with the ENCRYPTION_KEY they were encrypted with; nothing was changed.',
  500,
)
