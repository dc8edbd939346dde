import { apiErrorBodySchema, type Explanation, type FieldIssue } from '@sfp/schemas'

/** `status` of an ApiError when no answer arrived at all. */
export const NETWORK_STATUS = 0
export const NETWORK_ERROR = 'network_error'
/**
 * The answer arrived but does not match the shared schema (the server and the dashboard built
 * from different versions).
 */
export const INVALID_RESPONSE = 'invalid_response'

/**
 * Every failed admin API call: HTTP errors in the error envelope (docs/behaviour.md §3), network
 * failures and answers that do not match the schema. `code` is the envelope's error code where
 * there is one.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError'
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: readonly FieldIssue[] = [],
    /** Seconds, from the Retry-After header (429 and 503 answers). */
    readonly retryAfterSeconds: number | null = null,
    /** Why, as a code the dashboard words in the reader's language (`message` is English). */
    readonly explanation: Explanation | null = null,
  ) {
    super(message)
  }
}

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError
}

export function isAbortError(error: unknown): boolean {
  return error instanceof DOMException
    ? error.name === 'AbortError'
    : error instanceof Error && error.name === 'AbortError'
}

/** Retry-After is either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (value === null || value.trim() === '') return null
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds))
  const date = Date.parse(value)
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - now) / 1000))
}

export async function apiErrorFromResponse(response: Response): Promise<ApiError> {
  const retryAfter = parseRetryAfter(response.headers.get('retry-after'))
  let body: unknown = null
  try {
    body = await response.json()
  } catch {
    // Not JSON (a proxy's HTML error page, say): the status alone has to do.
  }
  const parsed = apiErrorBodySchema.safeParse(body)
  if (parsed.success) {
    const { code, message, fields, explanation } = parsed.data.error
    return new ApiError(
      response.status,
      code,
      message,
      fields ?? [],
      retryAfter,
      explanation ?? null,
    )
  }
  const message = response.statusText || `HTTP ${response.status}`
  return new ApiError(response.status, `http_${response.status}`, message, [], retryAfter)
}
