import { type Explanation, explanationText, maskSecret } from '@sfp/schemas'

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

/** Params that are never upstream words: a model name (the request's own) stays whole. */
const NOT_UPSTREAM_WORDS = new Set(['code', 'model'])

/**
 * The explanation with every string param passed through `shortError` (params may carry upstream
 * words): what is stored and answered never holds more of a key than its mask. Model names are
 * kept as they are (`Pro/deepseek-ai/DeepSeek-R1-Distill-Qwen-32B` would read as a token).
 */
export function safeExplanation<E extends Explanation>(explained: E): E {
  return JSON.parse(JSON.stringify(explained), (name, value: unknown) =>
    typeof value === 'string' && !NOT_UPSTREAM_WORDS.has(name) ? shortError(value) : value,
  ) as E
}

/** A key's last error as both the English line (`lastError`) and its code (`lastErrorDetail`). */
export function errorFields(explained: Explanation): {
  lastError: string
  lastErrorDetail: Explanation
} {
  const safe = safeExplanation(explained)
  return { lastError: shortError(explanationText(safe)), lastErrorDetail: safe }
}

/** The English line stored beside an explanation (key event `reason`). */
export function reasonText(explained: Explanation): string {
  return shortError(explanationText(explained))
}
