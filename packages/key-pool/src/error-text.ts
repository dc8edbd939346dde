import { maskSecret } from '@sfp/schemas'

const MAX_LENGTH = 200
/** Long unbroken tokens may be keys an upstream message quotes back: shown masked. */
const TOKEN_LIKE = /[A-Za-z0-9_\-.]{20,}/g
const CONTROL = /\p{Cc}+/gu

/**
 * Text for `lastError` and key event reasons: one short line, nothing that could be a key.
 * Everything upstream sends passes through here before it is stored.
 */
export function shortError(text: string): string {
  const line = text
    .replace(CONTROL, ' ')
    .replace(TOKEN_LIKE, (token) => maskSecret(token))
    .trim()
  return line.length > MAX_LENGTH ? `${line.slice(0, MAX_LENGTH - 1)}…` : line
}
