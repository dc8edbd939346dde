import type { IncomingHttpHeaders } from 'node:http'
import type { AttemptOutcome } from '@sfp/key-pool'

/** What one upstream attempt came to, before it is classified. */
export type AttemptResult =
  /** An answer; `errorBody` is the (bounded) body of a non-2xx answer when it was read. */
  | { kind: 'response'; status: number; headers: IncomingHttpHeaders; errorBody: Buffer | null }
  /** No usable answer; `code` is undici's `UND_ERR_*` code or the errno. */
  | { kind: 'failure'; code: string }

/** Longest message kept from an upstream error body (it goes to the request log). */
const MESSAGE_MAX_CHARS = 300

/**
 * Turn an attempt into the outcome the key pool understands. `model`: the request body's, so a
 * 403 for a model the key may not use blocks that model for the key only.
 * @see docs/behaviour.md §4 "Classifying an attempt": only key-attributable failures touch the key
 * @see docs/upstream.md §4
 */
export function classifyAttempt(
  result: AttemptResult,
  now = Date.now(),
  model: string | null = null,
): AttemptOutcome {
  if (result.kind === 'failure') return { kind: 'networkError', code: result.code }
  const { status, headers, errorBody } = result
  if (status >= 200 && status < 300) return { kind: 'success' }
  if (status === 401) return { kind: 'unauthorized' }
  if (status === 402 || status === 403) {
    return model === null ? { kind: 'forbidden', status } : { kind: 'forbidden', status, model }
  }
  if (status === 429) {
    return {
      kind: 'rateLimited',
      retryAfterMs: parseRetryAfter(headers['retry-after'], now),
      message: upstreamErrorMessage(errorBody),
    }
  }
  if (status >= 500) {
    return { kind: 'upstreamError', status, message: upstreamErrorMessage(errorBody) }
  }
  // 400/404/413/422 and anything else (1xx/3xx included): the client's doing, the key is fine.
  return { kind: 'clientError', status }
}

/** `Retry-After` as milliseconds from `now`: delta seconds or an HTTP date; null if absent/bad. */
export function parseRetryAfter(
  value: string | string[] | undefined,
  now = Date.now(),
): number | null {
  const text = (Array.isArray(value) ? value[0] : value)?.trim()
  if (!text) return null
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000)
  // An HTTP date names its day and month; without letters `Date.parse` would read "-3" as a year.
  const date = /[a-z]/i.test(text) ? Date.parse(text) : Number.NaN
  return Number.isNaN(date) ? null : Math.max(0, date - now)
}

/**
 * The message of an upstream error body: SiliconFlow's `{code, message, data}`, OpenAI's
 * `{error: {message}}`, or a short plain-text body. Null when there is nothing readable.
 */
export function upstreamErrorMessage(body: Buffer | null): string | null {
  if (body === null || body.length === 0) return null
  const text = body.toString('utf8')
  let message: unknown
  try {
    const parsed: unknown = JSON.parse(text)
    if (typeof parsed === 'object' && parsed !== null) {
      const { message: own, error } = parsed as { message?: unknown; error?: unknown }
      message =
        own ??
        (typeof error === 'object' && error !== null
          ? (error as { message?: unknown }).message
          : error)
    } else {
      message = parsed
    }
  } catch {
    message = text
  }
  if (typeof message !== 'string') return null
  const trimmed = message.trim().replace(/\s+/g, ' ')
  return trimmed === '' ? null : trimmed.slice(0, MESSAGE_MAX_CHARS)
}
