import {
  CLIENT_KEY_ORIGINS,
  EGRESS_KINDS,
  EGRESS_PROXY_SCHEMES,
  type Explanation,
  KEY_EVENT_TYPES,
  KEY_STATUSES,
  NOTIFICATION_KINDS,
  NOTIFICATION_LANGUAGES,
  type NotificationEvent,
  type NotificationFailure,
  RATE_LIMIT_CLASSES,
} from '@sfp/schemas'
import { index, integer, real, sqliteTable, text } from 'drizzle-orm/sqlite-core'

/**
 * Times are integers of milliseconds since the epoch (UTC) throughout: cheap to compare and
 * index, and converted to ISO strings only at the API boundary.
 */

/** What an egress row keeps of its state; `disabled` is the `enabled` flag, not a state. */
export const EGRESS_ROW_STATES = ['up', 'down', 'blocked'] as const

/**
 * The ways out to SiliconFlow, one source IP each: `direct` (this host, optionally from a local
 * address) or a proxy. Each enabled one is a lane with its own slots, key and switch guard, whose
 * memory (`guard_*`) is kept here so that a restart does not open its window.
 */
export const egresses = sqliteTable('egresses', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  kind: text('kind', { enum: EGRESS_KINDS }).notNull(),
  /** `direct`, or the proxy URL's scheme (`socks5h` is kept apart from `socks5` for display). */
  scheme: text('scheme', { enum: ['direct', ...EGRESS_PROXY_SCHEMES] }).notNull(),
  host: text('host'),
  port: integer('port'),
  username: text('username'),
  /** The proxy password, or its AES-256-GCM envelope when ENCRYPTION_KEY is set. */
  password: text('password'),
  localAddress: text('local_address'),
  /** What makes two egresses the same IP: kind, host and port (direct: its local address). */
  identity: text('identity').notNull().unique(),
  label: text('label'),
  enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
  /** The direct egress of EGRESS_DIRECT: made at boot, never deleted. */
  builtin: integer('builtin', { mode: 'boolean' }).notNull().default(false),
  /** Listed in EGRESS_PROXIES: ensured at every boot. */
  fromEnv: integer('from_env', { mode: 'boolean' }).notNull().default(false),
  state: text('state', { enum: EGRESS_ROW_STATES }).notNull().default('up'),
  stateReason: text('state_reason'),
  /** The same as a code and params (JSON); null in rows written before codes existed. */
  stateExplanation: text('state_explanation', { mode: 'json' }).$type<Explanation>(),
  blockedUntil: integer('blocked_until'),
  /** Way-out failures in a row: the backoff of a `down` egress doubles with each. */
  failures: integer('failures').notNull().default(0),
  /** When a `down` egress is tried again. */
  retryAt: integer('retry_at'),
  /** The switch guard's memory: the key last sent through this egress, when, and the last switch. */
  guardKeyId: integer('guard_key_id'),
  guardUsedAt: integer('guard_used_at'),
  guardSwitchAt: integer('guard_switch_at'),
  requestCount: integer('request_count').notNull().default(0),
  errorCount: integer('error_count').notNull().default(0),
  lastUsedAt: integer('last_used_at'),
  createdAt: integer('created_at').notNull(),
  updatedAt: integer('updated_at').notNull(),
})

/** The pool of SiliconFlow keys. Creation order (id) is the order keys are used in. */
export const upstreamKeys = sqliteTable(
  'upstream_keys',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** The key, or its AES-256-GCM envelope when ENCRYPTION_KEY is set. */
    secret: text('secret').notNull(),
    /** Keyed hash of the key: finds duplicates without decrypting anything. */
    fingerprint: text('fingerprint').notNull().unique(),
    /** Computed once at insert, so listing never touches the secret. */
    maskedKey: text('masked_key').notNull(),
    label: text('label'),
    status: text('status', { enum: KEY_STATUSES }).notNull().default('active'),
    balance: real('balance'),
    balanceCheckedAt: integer('balance_checked_at'),
    callCount: integer('call_count').notNull().default(0),
    errorCount: integer('error_count').notNull().default(0),
    consecutiveErrors: integer('consecutive_errors').notNull().default(0),
    /** 429s in a row: drives the escalating cooldown when upstream gives no Retry-After. */
    rateLimitStrikes: integer('rate_limit_strikes').notNull().default(0),
    /** The limit the last 429 named (`RATE_LIMIT_CLASSES`); null when none was named. */
    rateLimitClass: text('rate_limit_class', { enum: RATE_LIMIT_CLASSES }),
    /** Successes since the last balance check (AUTO_QUERY_BALANCE_AFTER_CALLS). */
    successesSinceCheck: integer('successes_since_check').notNull().default(0),
    lastError: text('last_error'),
    /** The same as a code and params (JSON); null in rows written before codes existed. */
    lastErrorDetail: text('last_error_detail', { mode: 'json' }).$type<Explanation>(),
    lastUsedAt: integer('last_used_at'),
    cooldownUntil: integer('cooldown_until'),
    /**
     * The egress lane the key belongs to: set when a lane takes it, so no other lane sends it
     * within KEY_SWITCH_GUARD_MINUTES of its last use there (`egress_used_at`). Null: never
     * taken, or its egress was deleted.
     */
    egressId: integer('egress_id'),
    /** When the key was last sent through its lane, as far as the lane has written it down. */
    egressUsedAt: integer('egress_used_at'),
    /**
     * CNY spent through the key since its balance was last known, from the price table and the
     * tokens of each answer (docs/behaviour.md §11); null while no price applied.
     */
    spent: real('spent'),
    /** Models upstream refused to this key while its balance was fine (JSON list); null: none. */
    blockedModels: text('blocked_models', { mode: 'json' }).$type<string[]>(),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (table) => [index('upstream_keys_status_idx').on(table.status)],
)

/** Keys that clients present to the proxy. Only a SHA-256 of each is stored. */
export const clientKeys = sqliteTable('client_keys', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name').notNull(),
  keyHash: text('key_hash').notNull().unique(),
  /** The first characters, for recognising a key in the dashboard. */
  prefix: text('prefix').notNull(),
  createdAt: integer('created_at').notNull(),
  lastUsedAt: integer('last_used_at'),
  requestCount: integer('request_count').notNull().default(0),
  /** Where the key came from when not made here: `siliconflowProxy` (its ADMIN_PASSWORD, imported). */
  origin: text('origin', { enum: CLIENT_KEY_ORIGINS }),
  // Limits (docs/behaviour.md §12); null: no limit.
  /** Models it may use, exact names or `Org/*` patterns (JSON list); null: every model. */
  models: text('models', { mode: 'json' }).$type<string[]>(),
  expiresAt: integer('expires_at'),
  rpm: integer('rpm'),
  dailyRequests: integer('daily_requests'),
  dailyTokens: integer('daily_tokens'),
  monthlySpendCny: real('monthly_spend_cny'),
  /** Client IPs and CIDRs it may be used from (JSON list); null: any. */
  allowedIps: text('allowed_ips', { mode: 'json' }).$type<string[]>(),
  note: text('note'),
  // Counters of the current periods, in China Standard Time, so that a restart keeps them.
  /** The day the day counters count, `YYYY-MM-DD` in China Standard Time. */
  usageDay: text('usage_day'),
  dayRequests: integer('day_requests').notNull().default(0),
  dayTokens: integer('day_tokens').notNull().default(0),
  /** The month `monthSpendCny` counts, `YYYY-MM` in China Standard Time. */
  usageMonth: text('usage_month'),
  monthSpendCny: real('month_spend_cny').notNull().default(0),
})

/** One row per proxied request (docs/behaviour.md §7), written in batches. */
export const requestLogs = sqliteTable(
  'request_logs',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    time: integer('time').notNull(),
    requestId: text('request_id').notNull(),
    clientKeyId: integer('client_key_id'),
    upstreamKeyId: integer('upstream_key_id'),
    egressId: integer('egress_id'),
    clientIp: text('client_ip'),
    method: text('method').notNull(),
    path: text('path').notNull(),
    model: text('model'),
    stream: integer('stream', { mode: 'boolean' }).notNull().default(false),
    status: integer('status').notNull(),
    upstreamStatus: integer('upstream_status'),
    attempts: integer('attempts').notNull().default(0),
    queueWaitMs: integer('queue_wait_ms'),
    ttfbMs: integer('ttfb_ms'),
    durationMs: integer('duration_ms').notNull(),
    promptTokens: integer('prompt_tokens'),
    completionTokens: integer('completion_tokens'),
    totalTokens: integer('total_tokens'),
    errorType: text('error_type'),
    errorMessage: text('error_message'),
    /** The params of `error_type` (JSON, `LogErrorDetail`); null in rows written before them. */
    errorParams: text('error_params', { mode: 'json' }).$type<Record<string, unknown>>(),
    /** CNY the request cost by the price table; null when no price applies (never 0 for that). */
    cost: real('cost'),
  },
  (table) => [
    index('request_logs_time_idx').on(table.time),
    index('request_logs_key_time_idx').on(table.upstreamKeyId, table.time),
    index('request_logs_status_idx').on(table.status),
    index('request_logs_model_idx').on(table.model),
    index('request_logs_egress_time_idx').on(table.egressId, table.time),
  ],
)

/** State changes, switches of the key in use, and admin overrides, with their reasons. */
export const keyEvents = sqliteTable(
  'key_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    time: integer('time').notNull(),
    /** No foreign key: the history outlives a deleted key. */
    keyId: integer('key_id'),
    type: text('type', { enum: KEY_EVENT_TYPES }).notNull(),
    fromStatus: text('from_status', { enum: KEY_STATUSES }),
    toStatus: text('to_status', { enum: KEY_STATUSES }),
    reason: text('reason').notNull(),
    /** The reason as a code and params (JSON); null in rows written before codes existed. */
    explanation: text('explanation', { mode: 'json' }).$type<Explanation>(),
  },
  (table) => [
    index('key_events_time_idx').on(table.time),
    index('key_events_key_idx').on(table.keyId, table.time),
  ],
)

/** Small process-wide values: admin password hash, the key in use, the switch guard's memory. */
export const settings = sqliteTable('settings', {
  name: text('name').primaryKey(),
  value: text('value').notNull(),
  updatedAt: integer('updated_at').notNull(),
})

/**
 * Where the operator is told that something needs a person (docs/behaviour.md, notifications):
 * a webhook or a chat robot. `url` and `secret` are stored like upstream keys (the AES-256-GCM
 * envelope when ENCRYPTION_KEY is set): a robot's URL holds its token.
 */
export const notificationTargets = sqliteTable('notification_targets', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  kind: text('kind', { enum: NOTIFICATION_KINDS }).notNull(),
  url: text('url').notNull(),
  label: text('label'),
  /** Signing secret (webhook, DingTalk, Feishu) or bot token (Telegram). */
  secret: text('secret'),
  /** Telegram's chat id or `@channel`. */
  chatId: text('chat_id'),
  /** Subscribed events (JSON list, catalog order). */
  events: text('events', { mode: 'json' }).$type<NotificationEvent[]>().notNull(),
  enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
  language: text('language', { enum: NOTIFICATION_LANGUAGES }).notNull().default('zh'),
  createdAt: integer('created_at').notNull(),
  updatedAt: integer('updated_at').notNull(),
  lastSentAt: integer('last_sent_at'),
  /** The last delivery failure as a code and params (JSON); null after a success. */
  lastError: text('last_error', { mode: 'json' }).$type<NotificationFailure>(),
  lastErrorAt: integer('last_error_at'),
})

export type EgressRow = typeof egresses.$inferSelect
export type NewEgressRow = typeof egresses.$inferInsert
export type UpstreamKeyRow = typeof upstreamKeys.$inferSelect
export type NewUpstreamKeyRow = typeof upstreamKeys.$inferInsert
export type ClientKeyRow = typeof clientKeys.$inferSelect
export type RequestLogRow = typeof requestLogs.$inferSelect
export type NewRequestLogRow = typeof requestLogs.$inferInsert
export type KeyEventRow = typeof keyEvents.$inferSelect
export type NewKeyEventRow = typeof keyEvents.$inferInsert
export type NotificationTargetRow = typeof notificationTargets.$inferSelect
export type NewNotificationTargetRow = typeof notificationTargets.$inferInsert
