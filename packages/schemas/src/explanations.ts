import { z } from 'zod'
import { rateLimitClassSchema } from './rate-limits.js'

/**
 * Why the server did something, as a stable code and typed params rather than a sentence: key
 * events, a key's last error, an egress's state, an error answer's refusal (`error.explanation`).
 * The dashboard renders each code in the reader's language from its catalog; `explanationText`
 * gives the English line the API keeps beside it (`reason`, `lastError`, `stateReason`) for
 * scripts and logs. Params never hold a secret: upstream
 * words (`detail`) are shortened and masked before they get here.
 */

const int = z.number().int()
const isoTime = z.iso.datetime()

/** What a direct question to upstream (`/v1/user/info`, then `/v1/models`) told about a key. */
export const keyCheckSummarySchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('balance'),
    balance: z.number(),
    /** `status` of /v1/user/info when not `normal`; null when normal or absent. */
    accountStatus: z.string().nullable(),
  }),
  z.object({
    kind: z.literal('invalid'),
    /** HTTP status of /v1/user/info: 401, or 404/410 when /v1/models answered the 401. */
    userInfoStatus: int,
    modelsStatus: int.nullable(),
  }),
  z.object({
    kind: z.literal('unknown'),
    /** Null when the request failed before an answer. */
    userInfoStatus: int.nullable(),
    modelsStatus: int.nullable(),
    /** `status`: an unexpected HTTP status; `no_json`/`no_balance`: an odd 200; `failed`: no answer. */
    problem: z.enum(['status', 'no_json', 'no_balance', 'failed']),
    /** With `failed`: undici's or the system's error code (`ECONNREFUSED`, `aborted`). */
    error: z.string().nullable(),
  }),
])
export type KeyCheckSummary = z.infer<typeof keyCheckSummarySchema>

/** What asked upstream about a key outside a proxied request. */
export const CHECK_TRIGGERS = ['on_demand', 'scheduled_refresh', 'after_calls'] as const
export const checkTriggerSchema = z.enum(CHECK_TRIGGERS)
export type CheckTrigger = z.infer<typeof checkTriggerSchema>

const nothing = z.object({})
const explain = <Code extends string, Params extends z.ZodType>(code: Code, params: Params) =>
  z.object({ code: z.literal(code), params })

export const explanationSchema = z.discriminatedUnion('code', [
  // The admin's doing.
  explain('added_by_admin', nothing),
  explain('deleted_by_admin', nothing),
  /** `reason`: the admin's own words, when the disable gave one (absent in older events). */
  explain('disabled_by_admin', z.object({ reason: z.string().nullable().optional() })),
  explain('enabled_by_admin', nothing),
  explain('activated_by_admin', nothing),
  /** The admin made the key the one in use on an egress (null: no egress enabled to use it). */
  explain('activation_override', z.object({ egressId: int.nullable() })),
  explain('imported_from_legacy', nothing),
  // What upstream answered to a proxied request.
  explain('request_succeeded', nothing),
  /** A 402/403 whose balance check was not conclusive enough to keep as the key's error. */
  explain('http_status', z.object({ status: int })),
  explain('upstream_error', z.object({ status: int, detail: z.string().nullable() })),
  explain('network_error', z.object({ detail: z.string() })),
  /** `strike`: the 429s in a row without Retry-After; null when upstream sent Retry-After. */
  /**
   * A 429. `strike`: its place in a row when the cooldown escalates (null: Retry-After or a period
   * decided it); `limit`: the limit the answer named (absent in events stored before classes).
   */
  explain(
    'rate_limited',
    z.object({
      seconds: int,
      strike: int.nullable(),
      limit: rateLimitClassSchema.nullable().optional(),
    }),
  ),
  explain('key_rejected', z.object({ check: keyCheckSummarySchema })),
  explain('unauthorized_unconfirmed', z.object({ check: keyCheckSummarySchema })),
  explain('forbidden', z.object({ status: int, check: keyCheckSummarySchema })),
  explain('forbidden_passed', z.object({ status: int, check: keyCheckSummarySchema })),
  /**
   * A 402/403 for `model` while the balance was fine or unknown (real-name verification, `Pro/`
   * models): this key cannot use that model; it stays in service for the others.
   */
  explain(
    'model_blocked',
    z.object({ status: int, model: z.string(), check: keyCheckSummarySchema }),
  ),
  /** KEY_ERROR_THRESHOLD failures in a row, the last one's kind and words, then the check. */
  explain(
    'key_failures',
    z.object({
      count: int,
      last: z.enum(['network_error', 'upstream_error']),
      status: int.nullable(),
      detail: z.string().nullable(),
      check: keyCheckSummarySchema,
    }),
  ),
  // Checks the pool made on its own or for the admin.
  explain('key_check', z.object({ trigger: checkTriggerSchema, check: keyCheckSummarySchema })),
  explain('account_status', z.object({ trigger: checkTriggerSchema, status: z.string() })),
  /**
   * Upstream gave no balance, and the estimate (last known balance minus the priced spend since)
   * is below LOW_BALANCE_THRESHOLD: `insufficient` on the estimate.
   */
  explain('estimated_balance_low', z.object({ estimate: z.number(), threshold: z.number() })),
  /** The admin entered the key's balance (read in SiliconFlow's console): the estimate restarts. */
  explain('balance_set_by_admin', z.object({ balance: z.number() })),
  // Switches of the key in use on an egress.
  explain(
    'key_switch',
    z.object({
      egressId: int,
      fromKeyId: int.nullable(),
      toKeyId: int,
      /** The key the lane had and its status (a key status); null when it had none. */
      current: z.object({ keyId: int, status: z.string() }).nullable(),
      /** Minutes of the switch guard window the switch happened in (KEY_SWITCH_POLICY=immediate). */
      guardMinutes: z.number().nullable(),
    }),
  ),
  explain('check_switch', z.object({ egressId: int, keyId: int })),
  // Egress states.
  explain('egress_disabled_by_admin', nothing),
  explain('egress_direct_off', nothing),
  /**
   * The way out failed: the proxy refused the tunnel (a 407 included), a SOCKS5 refusal, the
   * connection refused, a connect timeout, or otherwise; `code` is undici's or the system's.
   */
  explain(
    'egress_down',
    z.object({
      cause: z.enum(['tunnel_refused', 'socks_refused', 'connection_refused', 'timeout', 'failed']),
      code: z.string().nullable(),
    }),
  ),
  /** Upstream answered with an IP-block code (EGRESS_BLOCK_CODES), with this HTTP status. */
  explain('egress_blocked', z.object({ status: int.nullable() })),
  explain('egress_blocked_legacy', z.object({ detail: z.string().nullable() })),
  // Why a request (or a check) is refused now: the switch guard, the keys, the egresses.
  /**
   * The key-switch guard of an egress holds back another key until `windowEndsAt`. `subject`:
   * the lane's key while another was used last (`key`), a move to another key (`move`), a check
   * of a key used through another egress moments ago (`elsewhere`) or while another key is the
   * lane's last (`check`). `hint`: how to go on (switch sooner, or make the key current first).
   */
  explain(
    'guard_holds',
    z.object({
      egressId: int,
      minutes: z.number(),
      windowEndsAt: isoTime,
      subject: z.discriminatedUnion('kind', [
        z.object({ kind: z.literal('key'), keyId: int, lastKeyId: int.nullable() }),
        z.object({
          kind: z.literal('move'),
          fromKeyId: int.nullable(),
          toKeyId: int,
          current: z.object({ keyId: int, status: z.string() }).nullable(),
        }),
        z.object({ kind: z.literal('elsewhere'), keyId: int }),
        z.object({ kind: z.literal('check'), keyId: int, lastKeyId: int.nullable() }),
      ]),
      hint: z.enum(['switch_sooner', 'override_first']),
    }),
  ),
  /** The lane's key is rate-limited until `until`; a switch is held back until `guardUntil`. */
  explain(
    'key_cooling',
    z.object({ keyId: int, until: isoTime.nullable(), guardUntil: isoTime.nullable() }),
  ),
  /** No key is usable; `nextAt`: when the next becomes usable (null: add or enable one). */
  explain(
    'no_usable_key',
    z.object({
      current: z.object({ keyId: int, status: z.string() }).nullable(),
      nextAt: isoTime.nullable(),
    }),
  ),
  /** Every key that could serve refused `model` upstream (a 403 with the balance fine). */
  explain('model_unavailable', z.object({ model: z.string() })),
  /** One egress is `down` or `blocked` until `until`. */
  explain(
    'egress_out',
    z.object({ egressId: int, state: z.enum(['down', 'blocked']), until: isoTime.nullable() }),
  ),
  /** No egress can serve: these are out (none: no egress is enabled); back at `nextAt`. */
  explain(
    'no_egress',
    z.object({
      outs: z.array(z.object({ egressId: int, state: z.enum(['down', 'blocked']) })),
      nextAt: isoTime.nullable(),
    }),
  ),
  /**
   * Cluster mode (docs/behaviour.md §9): this instance drives none of the usable lanes, because
   * other instances drive them (`elsewhere`) or its leases lapsed with PostgreSQL unreachable
   * (`database`).
   */
  explain(
    'no_lane_held',
    z.object({ instanceId: z.string(), reason: z.enum(['elsewhere', 'database']) }),
  ),
  // Why an error answer refuses a request before anything is sent upstream.
  /**
   * DISPATCH_QUEUE_MAX requests wait already; `retryAfterSeconds` from recent hold times. With
   * `clientShare`: the client key holds its share of the queue (CLIENT_QUEUE_SHARE, at most
   * `clientShare` waiters), `waiting` being its own.
   */
  explain(
    'queue_full',
    z.object({ waiting: int, retryAfterSeconds: int, clientShare: int.optional() }),
  ),
  /** No lane could take the request within DISPATCH_QUEUE_TIMEOUT_MS. */
  explain('queue_timeout', z.object({ waitedMs: int })),
  explain('shutting_down', nothing),
  /** The request body passed BODY_LIMIT_MB. */
  explain('body_too_large', z.object({ limitBytes: int })),
  /** The request body stopped arriving for CLIENT_BODY_IDLE_TIMEOUT_MS. */
  explain('body_stalled', z.object({ idleMs: int })),
  /** A method the proxy does not forward; `allowed`: the ones it does. */
  explain('method_refused', z.object({ method: z.string(), allowed: z.array(z.string()) })),
  /** A feature of the SQLite file (the backup download) asked of a server on DATABASE_URL. */
  explain('sqlite_only', z.object({ feature: z.enum(['backup']) })),
])
export type Explanation = z.infer<typeof explanationSchema>
export type ExplanationCode = Explanation['code']
export type ExplanationOf<Code extends ExplanationCode> = Extract<Explanation, { code: Code }>
export type ExplanationParams<Code extends ExplanationCode> = ExplanationOf<Code>['params']

export const EXPLANATION_CODES = explanationSchema.options.map(
  (option) => option.shape.code.value,
) as readonly ExplanationCode[]

/** Build one, typed by its code. */
export function explanation<Code extends ExplanationCode>(
  code: Code,
  params: ExplanationParams<Code>,
): ExplanationOf<Code> {
  return { code, params } as ExplanationOf<Code>
}

/** A stored explanation, or null when it is absent or of a shape this version does not know. */
export function readExplanation(value: unknown): Explanation | null {
  if (value === null || value === undefined) return null
  const parsed = explanationSchema.safeParse(value)
  return parsed.success ? parsed.data : null
}

/**
 * The explanation an error carries (`error.explanation`: the dispatch's refusals and the proxy's
 * own errors set one), for its answer's body; undefined when it has none of a known shape.
 */
export function explanationOf(error: unknown): Explanation | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  return readExplanation((error as { explanation?: unknown }).explanation) ?? undefined
}

// English lines for the API's text fields, logs and the command line.

function checkText(check: KeyCheckSummary): string {
  switch (check.kind) {
    case 'balance':
      return `balance ${check.balance}${check.accountStatus === null ? '' : `, account status "${check.accountStatus}"`}`
    case 'invalid':
      return `invalid: ${answeredText(check.userInfoStatus, check.modelsStatus)}`
    case 'unknown':
      return `balance unknown (${unknownText(check)})`
  }
}

function answeredText(userInfo: number | null, models: number | null): string {
  const first = `/v1/user/info answered ${userInfo}`
  return models === null ? first : `${first}; /v1/models answered ${models}`
}

function unknownText(check: Extract<KeyCheckSummary, { kind: 'unknown' }>): string {
  switch (check.problem) {
    case 'failed':
      return `balance check failed: ${check.error ?? 'network error'}`
    case 'no_json':
      return '/v1/user/info answered 200 without JSON'
    case 'no_balance':
      return '/v1/user/info sent no readable totalBalance'
    case 'status':
      return answeredText(check.userInfoStatus, check.modelsStatus)
  }
}

const TRIGGER_TEXT: Record<CheckTrigger, string> = {
  on_demand: 'on-demand check',
  scheduled_refresh: 'scheduled balance refresh',
  after_calls: 'balance check after successful calls',
}

const DOWN_WORDS: Record<ExplanationParams<'egress_down'>['cause'], string> = {
  tunnel_refused: 'the proxy refused the tunnel',
  socks_refused: 'SOCKS5 refusal',
  connection_refused: 'the proxy refused the connection',
  timeout: 'connect timeout',
  failed: 'the way out failed',
}

/** A key status as the switch reasons word it. */
const STATE_WORDS: Record<string, string> = {
  active: 'active',
  cooling: 'cooling after a rate limit',
  insufficient: 'low on balance',
  invalid: 'invalid',
  error: 'failing',
  disabled: 'disabled',
}

/** The key a lane holds, as the switch and refusal reasons word it (English messages). */
export function describeCurrentKey(current: { keyId: number; status: string } | null): string {
  return current === null
    ? 'no key in use'
    : `key #${current.keyId} is ${STATE_WORDS[current.status] ?? current.status}`
}

type EnglishRenderers = { [Code in ExplanationCode]: (params: ExplanationParams<Code>) => string }

const ENGLISH: EnglishRenderers = {
  added_by_admin: () => 'added by admin',
  deleted_by_admin: () => 'deleted by admin',
  disabled_by_admin: ({ reason }) =>
    reason ? `disabled by admin: ${reason}` : 'disabled by admin',
  enabled_by_admin: () => 'enabled by admin',
  activated_by_admin: () => 'activated by admin',
  activation_override: ({ egressId }) =>
    egressId === null
      ? 'made active by admin; no egress is enabled to use it'
      : `made the key in use on egress #${egressId} by admin`,
  imported_from_legacy: () => 'imported from siliconflowProxy',
  request_succeeded: () => 'request succeeded, which proves the key works',
  http_status: ({ status }) => `HTTP ${status}`,
  upstream_error: ({ status, detail }) => `HTTP ${status}${detail ? `: ${detail}` : ''}`,
  network_error: ({ detail }) => `network error: ${detail}`,
  rate_limited: ({ seconds, strike, limit }) =>
    limit === 'day'
      ? `HTTP 429: daily limit reached (cooling until midnight China time, ${seconds} s)`
      : limit === 'hour'
        ? `HTTP 429: hourly limit reached (cooling until the next full hour, ${seconds} s)`
        : `HTTP 429: rate limited (${strike === null ? 'Retry-After' : `#${strike} in a row`}; cooling for ${seconds} s)`,
  key_rejected: ({ check }) => `HTTP 401: key rejected (${checkText(check)})`,
  unauthorized_unconfirmed: ({ check }) =>
    `HTTP 401 not confirmed (${checkText(check)}); passed through`,
  forbidden: ({ status, check }) => `HTTP ${status}, then ${checkText(check)}`,
  forbidden_passed: ({ status, check }) => `HTTP ${status} passed through (${checkText(check)})`,
  model_blocked: ({ status, model, check }) =>
    `HTTP ${status} for model ${model} (${checkText(check)}): this key cannot use it; it serves other models`,
  key_failures: ({ count, last, status, detail, check }) => {
    const lastText =
      last === 'network_error'
        ? `network error: ${detail ?? ''}`
        : `HTTP ${status}${detail ? `: ${detail}` : ''}`
    return `${count} failures in a row (last: ${lastText}), then ${checkText(check)}`
  },
  key_check: ({ trigger, check }) => `${TRIGGER_TEXT[trigger]}: ${checkText(check)}`,
  account_status: ({ status }) => `account status "${status}" reported by /v1/user/info`,
  balance_set_by_admin: ({ balance }) => `balance set to ${balance} by admin`,
  estimated_balance_low: ({ estimate, threshold }) =>
    `no balance from upstream; the estimated balance ${estimate} is below ${threshold}`,
  key_switch: ({ egressId, fromKeyId, toKeyId, current, guardMinutes }) => {
    const move =
      fromKeyId === null ? `first key in use: #${toKeyId}` : `key #${fromKeyId} -> key #${toKeyId}`
    const was = describeCurrentKey(current)
    const inWindow =
      guardMinutes === null
        ? ''
        : `; inside the ${guardMinutes}-minute switch guard window (KEY_SWITCH_POLICY=immediate)`
    return `${move} on egress #${egressId} (${was})${inWindow}`
  },
  check_switch: ({ egressId, keyId }) =>
    `a balance check sent key #${keyId} through egress #${egressId}`,
  egress_disabled_by_admin: () => 'disabled by admin',
  egress_direct_off: () => 'EGRESS_DIRECT=false',
  egress_down: ({ cause, code }) => `${DOWN_WORDS[cause]}${code === null ? '' : ` (${code})`}`,
  egress_blocked: ({ status }) =>
    `upstream answered ${status === null ? 'with' : `HTTP ${status} with`} a block code`,
  egress_blocked_legacy: ({ detail }) => `siliconflowProxy IP block${detail ? `: ${detail}` : ''}`,
  guard_holds: ({ egressId, minutes, windowEndsAt, subject, hint }) => {
    const what =
      subject.kind === 'key'
        ? `key #${subject.keyId} while key #${subject.lastKeyId} was used last`
        : subject.kind === 'move'
          ? `moving from key #${subject.fromKeyId} to key #${subject.toKeyId}`
          : subject.kind === 'elsewhere'
            ? `a check of key #${subject.keyId}, used through another egress moments ago`
            : `a balance check of key #${subject.keyId} while key #${subject.lastKeyId} is the one last used`
    const next =
      hint === 'switch_sooner'
        ? 'set KEY_SWITCH_POLICY=immediate, lower KEY_SWITCH_GUARD_MINUTES, or activate a key'
        : 'make the key the key in use first, or set KEY_SWITCH_POLICY=immediate'
    return `the key-switch guard of egress #${egressId} holds back ${what} (${minutes} minutes, until ${windowEndsAt}); ${next}`
  },
  key_cooling: ({ keyId, until, guardUntil }) =>
    `key #${keyId} is rate-limited${until === null ? '' : ` until ${until}`}${guardUntil === null ? '' : `; switching is held back until ${guardUntil}`}`,
  no_usable_key: ({ current, nextAt }) =>
    `no upstream key is usable now (${describeCurrentKey(current)}); ${nextAt === null ? 'add a key or enable one' : `the next becomes usable at ${nextAt}`}`,
  model_unavailable: ({ model }) =>
    `no upstream key may use model ${model}: SiliconFlow refused it to every key that could serve (real-name verification or the model's access rules); use another model or add a key that may use it`,
  egress_out: ({ egressId, state, until }) =>
    `egress #${egressId} is ${state}${until === null ? '' : ` until ${until}`}`,
  no_egress: ({ outs, nextAt }) =>
    `no egress can reach SiliconFlow now: ${outs.length === 0 ? 'no egress is enabled' : outs.map((out) => `egress #${out.egressId} is ${out.state}`).join('; ')}${nextAt === null ? '' : `; the earliest is back at ${nextAt}`}`,
  no_lane_held: ({ instanceId, reason }) =>
    reason === 'database'
      ? `instance ${instanceId} cannot reach its database and has stopped sending through its lanes until it can renew their leases`
      : `every usable egress is driven by another instance than ${instanceId}; the load balancer may send the request to one of them`,
  queue_full: ({ waiting, retryAfterSeconds, clientShare }) =>
    clientShare === undefined
      ? `the upstream queue is full (${waiting} requests waiting); try again in ${retryAfterSeconds} seconds`
      : `this client key's share of the upstream queue is full (${waiting} of its requests waiting, at most ${clientShare}); try again in ${retryAfterSeconds} seconds`,
  queue_timeout: ({ waitedMs }) => `no upstream slot became free within ${waitedMs} ms`,
  shutting_down: () => 'the server is shutting down; try again shortly',
  body_too_large: ({ limitBytes }) =>
    `the request body is larger than the limit of ${limitBytes} bytes`,
  body_stalled: ({ idleMs }) =>
    `the request body stopped arriving for ${idleMs} ms; nothing was sent upstream`,
  method_refused: ({ method, allowed }) =>
    `the proxy does not forward ${method} requests: use ${allowed.join(', ')}`,
  sqlite_only: () =>
    'the backup download copies the SQLite file; with DATABASE_URL the data is in PostgreSQL: back it up with pg_dump',
}

/** The explanation as one English line (what `reason`, `lastError` and `stateReason` say). */
export function explanationText(explained: Explanation): string {
  const render = ENGLISH[explained.code] as (params: Explanation['params']) => string
  return render(explained.params)
}
