import { z } from 'zod'
import { type Explanation, explanationSchema } from './explanations.js'

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
  /**
   * Cluster mode: this instance cannot reach PostgreSQL and its lane leases lapsed, so it may
   * send through no lane (another instance may; Retry-After: one lease).
   */
  database_unavailable: { status: 503, type: 'server_error' },
  /** The client's body stalled past CLIENT_BODY_IDLE_TIMEOUT_MS; nothing was queued or sent. */
  request_timeout: { status: 408, type: 'invalid_request_error' },
  /**
   * A method the proxy routes never forward (anything but GET, POST and DELETE): answered with
   * `Allow: GET, POST, DELETE`; nothing was queued or sent.
   */
  method_not_allowed: { status: 405, type: 'invalid_request_error' },
  // A client key's own limits (docs/behaviour.md §12), checked before the request queues.
  /** The client key's `expiresAt` has passed. */
  client_key_expired: { status: 401, type: 'authentication_error' },
  /** The body names a model outside the client key's model list. */
  model_not_allowed: { status: 403, type: 'permission_error' },
  /** The client's address is outside the client key's allowed IPs. */
  client_ip_not_allowed: { status: 403, type: 'permission_error' },
  /** The client key's requests per minute are used up; Retry-After: the next minute. */
  client_rate_limited: { status: 429, type: 'rate_limit_error' },
  /** A daily or monthly quota of the client key is used up; Retry-After: when it resets. */
  client_quota_exceeded: { status: 429, type: 'rate_limit_error' },
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
  /** A feature of the SQLite file (the backup download) on a server whose data is in PostgreSQL. */
  sqlite_only: { status: 409, type: 'invalid_request_error' },
  internal_error: { status: 500, type: 'server_error' },
} as const satisfies Record<string, { status: number; type: string }>
export type ApiErrorCode = keyof typeof API_ERRORS

/** What a refused egress URL got wrong (`parseEgressUrl`). */
export const EGRESS_URL_PROBLEMS = [
  'empty',
  'too_long',
  'spaces',
  'not_url',
  'scheme',
  'shape',
  'port',
  'host',
  'encoding',
  'user_empty',
  'credentials_long',
] as const
export type EgressUrlProblemCode = (typeof EGRESS_URL_PROBLEMS)[number]

/**
 * Why a field was refused, as a code with its bounds: what the dashboard words in the reader's
 * language (`reason` keeps the English for scripts). The zod rules come first; the rules of our
 * own refinements follow, each carried on its issue as `params.rule` (`customRule`). `other` is
 * a refusal no code describes: the reason is all there is. Never holds the client's input.
 */
export const fieldRuleSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('too_small'), minimum: z.number(), origin: z.string() }),
  z.object({ kind: z.literal('too_big'), maximum: z.number(), origin: z.string() }),
  z.object({ kind: z.literal('invalid_type'), expected: z.string() }),
  z.object({ kind: z.literal('invalid_format'), format: z.string() }),
  z.object({ kind: z.literal('invalid_value') }),
  z.object({ kind: z.literal('unrecognized_keys'), count: z.number().int().nonnegative() }),
  // Our own refinements.
  /** A whole number written in plain decimal digits, from `minimum` to `maximum`. */
  z.object({ kind: z.literal('decimal_integer'), minimum: z.number(), maximum: z.number() }),
  /** A row id (a decimal integer from 1); the field names whose. */
  z.object({ kind: z.literal('id') }),
  /** A `nextCursor` of a previous page. */
  z.object({ kind: z.literal('cursor') }),
  /** An ISO 8601 time, or milliseconds since 1970 up to `maximum`. */
  z.object({ kind: z.literal('time'), maximum: z.number() }),
  /** A status filter: `2xx`…`5xx`, `error`, or a status code from 100 to 599. */
  z.object({ kind: z.literal('status_filter') }),
  /** A body that must name one of these fields (field names as the API spells them). */
  z.object({ kind: z.literal('one_of'), fields: z.array(z.string()) }),
  /** Must differ from another field of the same body. */
  z.object({ kind: z.literal('differs_from'), field: z.string() }),
  /** An IPv4 or IPv6 address of this host. */
  z.object({ kind: z.literal('local_address') }),
  /** An egress URL (`direct` or a proxy URL) and what is wrong with it. */
  z.object({ kind: z.literal('egress_url'), problem: z.enum(EGRESS_URL_PROBLEMS) }),
  z.object({ kind: z.literal('other') }),
])
export type FieldRule = z.infer<typeof fieldRuleSchema>
/** The rules of our own refinements (not zod's own issue codes). */
export type CustomFieldRule = Exclude<
  FieldRule,
  {
    kind:
      | 'too_small'
      | 'too_big'
      | 'invalid_type'
      | 'invalid_format'
      | 'invalid_value'
      | 'unrecognized_keys'
      | 'other'
  }
>

/**
 * The `params` a custom zod issue carries its rule in: `.refine(check, { error, ...customRule(r)
 * })`, `ctx.addIssue({ code: 'custom', message, ...customRule(r) })`.
 */
export function customRule(rule: CustomFieldRule): { params: { rule: CustomFieldRule } } {
  return { params: { rule } }
}

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
    /**
     * Why the request was refused, as a code the dashboard words in the reader's language (the
     * `message` says the same in English). Outside OpenAI's shape, which SDKs ignore. One of a
     * newer server's codes reads as absent.
     */
    explanation: explanationSchema.optional().catch(undefined),
  }),
})
export type ApiErrorBody = z.infer<typeof apiErrorBodySchema>

export function errorBody(
  code: ProxyErrorCode | ApiErrorCode,
  message: string,
  details: { fields?: FieldIssue[] | undefined; explanation?: Explanation | undefined } = {},
): ApiErrorBody {
  const { type } =
    code in PROXY_ERRORS ? PROXY_ERRORS[code as ProxyErrorCode] : API_ERRORS[code as ApiErrorCode]
  const { fields, explanation } = details
  return {
    error: {
      message,
      type,
      code,
      ...(fields ? { fields } : {}),
      ...(explanation ? { explanation } : {}),
    },
  }
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
  /** A custom issue's own data: its rule (`customRule`). */
  params?: Record<string, unknown>
}

/** The rule behind a zod issue; `other` for a custom issue without a rule and shapes not worded here. */
export function fieldRule(issue: IssueLike): FieldRule {
  switch (issue.code) {
    case 'custom': {
      const parsed = fieldRuleSchema.safeParse(issue.params?.rule)
      return parsed.success ? parsed.data : { kind: 'other' }
    }
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
