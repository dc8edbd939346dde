import { z } from 'zod'

/**
 * Errors made by the proxy itself, in OpenAI's shape so SDKs surface them (docs/behaviour.md §3).
 * Upstream errors are passed through untouched and never take this shape by force.
 */
export const PROXY_ERRORS = {
  invalid_client_key: { status: 401, type: 'authentication_error' },
  invalid_json: { status: 400, type: 'invalid_request_error' },
  request_too_large: { status: 413, type: 'invalid_request_error' },
  queue_full: { status: 503, type: 'server_error' },
  queue_timeout: { status: 503, type: 'server_error' },
  key_switch_guard: { status: 503, type: 'server_error' },
  no_available_key: { status: 503, type: 'server_error' },
  rate_limited: { status: 429, type: 'rate_limit_error' },
  /** No egress lane can serve: all down, blocked or disabled (Retry-After when a time is known). */
  no_available_egress: { status: 503, type: 'server_error' },
  /** The only reason: one egress whose IP upstream blocked (the original program's `ip_blocked`). */
  egress_blocked: { status: 503, type: 'server_error' },
  /** The client's body stalled past CLIENT_BODY_IDLE_TIMEOUT_MS; nothing was queued or sent. */
  request_timeout: { status: 408, type: 'invalid_request_error' },
  /**
   * A method the proxy routes never forward (anything but GET, POST and DELETE): answered with
   * `Allow: GET, POST, DELETE`; nothing was queued or sent.
   */
  method_not_allowed: { status: 405, type: 'invalid_request_error' },
  upstream_unreachable: { status: 502, type: 'server_error' },
  upstream_timeout: { status: 504, type: 'server_error' },
  upstream_stream_error: { status: 502, type: 'server_error' },
  shutting_down: { status: 503, type: 'server_error' },
} as const satisfies Record<string, { status: number; type: string }>
export type ProxyErrorCode = keyof typeof PROXY_ERRORS

/** Errors of the admin API and the server in general (same envelope). */
export const API_ERRORS = {
  validation_error: { status: 400, type: 'invalid_request_error' },
  unauthorized: { status: 401, type: 'authentication_error' },
  cross_site_request: { status: 403, type: 'permission_error' },
  not_found: { status: 404, type: 'invalid_request_error' },
  /** An egress with the same scheme, host and port (or, for `direct`, local address) exists. */
  egress_exists: { status: 409, type: 'invalid_request_error' },
  /** The built-in direct egress cannot be deleted: disable it, or set EGRESS_DIRECT=false. */
  egress_builtin: { status: 409, type: 'invalid_request_error' },
  /** `PUT /api/manage/admin-password`: the current password in the body is wrong. */
  wrong_current_password: { status: 403, type: 'permission_error' },
  /** `PUT /api/manage/admin-password`: ADMIN_PASSWORD is set; change it there and restart. */
  admin_password_from_env: { status: 409, type: 'invalid_request_error' },
  too_many_failed_logins: { status: 429, type: 'rate_limit_error' },
  internal_error: { status: 500, type: 'server_error' },
} as const satisfies Record<string, { status: number; type: string }>
export type ApiErrorCode = keyof typeof API_ERRORS

/**
 * Why a field was refused, as a code with its bounds: what the dashboard words in the reader's
 * language (`reason` keeps zod's English for scripts). `other` is a rule of our own words (a
 * custom message): the reason is all there is. Never holds the client's input.
 */
export const fieldRuleSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('too_small'), minimum: z.number(), origin: z.string() }),
  z.object({ kind: z.literal('too_big'), maximum: z.number(), origin: z.string() }),
  z.object({ kind: z.literal('invalid_type'), expected: z.string() }),
  z.object({ kind: z.literal('invalid_format'), format: z.string() }),
  z.object({ kind: z.literal('invalid_value') }),
  z.object({ kind: z.literal('unrecognized_keys'), count: z.number().int().nonnegative() }),
  z.object({ kind: z.literal('other') }),
])
export type FieldRule = z.infer<typeof fieldRuleSchema>

export const fieldIssueSchema = z.object({
  field: z.string(),
  reason: z.string(),
  rule: fieldRuleSchema.optional(),
})
export type FieldIssue = z.infer<typeof fieldIssueSchema>

export const apiErrorBodySchema = z.object({
  error: z.object({
    message: z.string(),
    type: z.string(),
    code: z.string(),
    /** Validation errors: which field and why. */
    fields: z.array(fieldIssueSchema).optional(),
  }),
})
export type ApiErrorBody = z.infer<typeof apiErrorBodySchema>

export function errorBody(
  code: ProxyErrorCode | ApiErrorCode,
  message: string,
  fields?: FieldIssue[],
): ApiErrorBody {
  const { type } =
    code in PROXY_ERRORS ? PROXY_ERRORS[code as ProxyErrorCode] : API_ERRORS[code as ApiErrorCode]
  return { error: { message, type, code, ...(fields ? { fields } : {}) } }
}

/** The parts of a zod issue `describeIssues` reads (zod 4's issue shapes, loosely). */
export interface IssueLike {
  path: readonly PropertyKey[]
  message: string
  code?: string
  minimum?: number | bigint
  maximum?: number | bigint
  origin?: string
  expected?: string
  format?: string
  keys?: readonly string[]
}

/** The rule behind a zod issue; `other` for our own messages and shapes not worded here. */
export function fieldRule(issue: IssueLike): FieldRule {
  switch (issue.code) {
    case 'too_small':
      return { kind: 'too_small', minimum: Number(issue.minimum), origin: issue.origin ?? '' }
    case 'too_big':
      return { kind: 'too_big', maximum: Number(issue.maximum), origin: issue.origin ?? '' }
    case 'invalid_type':
      return { kind: 'invalid_type', expected: issue.expected ?? '' }
    case 'invalid_format':
      return { kind: 'invalid_format', format: issue.format ?? '' }
    case 'invalid_value':
      return { kind: 'invalid_value' }
    case 'unrecognized_keys':
      return { kind: 'unrecognized_keys', count: issue.keys?.length ?? 0 }
    default:
      return { kind: 'other' }
  }
}

/** Turn zod issues into `{ field, reason, rule }` and one readable sentence. */
export function describeIssues(
  issues: readonly IssueLike[],
  prefix = '',
): { message: string; fields: FieldIssue[] } {
  const fields = issues.map((issue) => ({
    field: [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(body)',
    reason: issue.message,
    rule: fieldRule(issue),
  }))
  const message = fields.map(({ field, reason }) => `${field}: ${reason}`).join('; ')
  return { message, fields }
}
