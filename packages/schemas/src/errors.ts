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

export const fieldIssueSchema = z.object({ field: z.string(), reason: z.string() })
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

/** Turn zod issues into `{ field, reason }` pairs and one readable sentence. */
export function describeIssues(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
  prefix = '',
): { message: string; fields: FieldIssue[] } {
  const fields = issues.map((issue) => ({
    field: [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(body)',
    reason: issue.message,
  }))
  const message = fields.map(({ field, reason }) => `${field}: ${reason}`).join('; ')
  return { message, fields }
}
