import { z } from 'zod'
import { customRule } from './errors.js'
import { decimalId } from './ids.js'

/**
 * Notification targets: where the server tells the operator that something needs a person (a key
 * died, an egress is blocked, no key or lane is left, the queue stays full) and that it recovered
 * (docs/behaviour.md, issue 16 "Notifications"). Delivery lives in `@sfp/notify`; this file is the
 * API boundary: the bodies, the view (never a secret) and the delivery outcomes.
 */
export const NOTIFICATION_KINDS = ['webhook', 'dingtalk', 'feishu', 'wecom', 'telegram'] as const
export const notificationKindSchema = z.enum(NOTIFICATION_KINDS)
export type NotificationKind = z.infer<typeof notificationKindSchema>

/** Conditions that are raised once and cleared once (each has a `<condition>_recovered`). */
export const NOTIFICATION_CONDITIONS = [
  'key_invalid',
  'key_insufficient',
  'key_error',
  'balance_low',
  'egress_blocked',
  'egress_down',
  'pool_exhausted',
  'queue_full',
] as const
export type NotificationCondition = (typeof NOTIFICATION_CONDITIONS)[number]
export type NotificationRecovery = `${NotificationCondition}_recovered`

export function recoveryOf<Condition extends NotificationCondition>(
  condition: Condition,
): `${Condition}_recovered` {
  return `${condition}_recovered`
}

/** Every event a target can subscribe to: each condition, then its recovery. */
export const NOTIFICATION_EVENTS = NOTIFICATION_CONDITIONS.flatMap((condition) => [
  condition,
  recoveryOf(condition),
]) as readonly (NotificationCondition | NotificationRecovery)[]
export const notificationEventSchema = z.enum(
  NOTIFICATION_EVENTS as [NotificationCondition | NotificationRecovery],
)
export type NotificationEvent = z.infer<typeof notificationEventSchema>

export const NOTIFICATION_LANGUAGES = ['zh', 'en'] as const
export type NotificationLanguage = (typeof NOTIFICATION_LANGUAGES)[number]

/** Where a Telegram target sends unless its `url` names another Bot API server. */
export const TELEGRAM_API_BASE = 'https://api.telegram.org'

const URL_MAX = 2048
const SECRET_MAX = 512
const LABEL_MAX = 100

/**
 * Any http(s) URL, so a target may be a relay or a local test receiver; the real shapes are
 * `https://oapi.dingtalk.com/robot/send?access_token=…`, `https://open.feishu.cn/open-apis/bot/v2/hook/…`
 * (or `open.larksuite.com`), `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…`.
 */
const targetUrlSchema = z
  .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
  .max(URL_MAX, { error: `must be at most ${URL_MAX} characters` })
  // The view shows the URL masked; sending that back would store the mask as the URL.
  .regex(/^(?!.*\*\*\*)/, { error: 'is the masked URL: give the whole URL or leave it out' })

/** Signing secret (webhook, DingTalk, Feishu) or bot token (Telegram): it goes into a URL path. */
const secretSchema = z
  .string()
  .trim()
  .min(1, { error: 'must not be empty' })
  .max(SECRET_MAX, { error: `must be at most ${SECRET_MAX} characters` })
  .regex(/^[^\s/?#]+$/, { error: 'must not contain spaces, "/", "?" or "#"' })

/** A Telegram chat: a numeric id (groups are negative) or `@channelname`. */
const chatIdSchema = z
  .string()
  .trim()
  .min(1, { error: 'must not be empty' })
  .max(100, { error: 'must be at most 100 characters' })

const labelSchema = z
  .string()
  .trim()
  .max(LABEL_MAX, { error: `must be at most ${LABEL_MAX} characters` })

/** Subscribed events, de-duplicated and in catalog order. */
const eventsSchema = z
  .array(notificationEventSchema)
  .min(1, { error: 'subscribe to at least one event' })
  .transform((events) => NOTIFICATION_EVENTS.filter((event) => events.includes(event)))

const common = {
  label: labelSchema.nullable().optional(),
  /** Defaults to every event. */
  events: eventsSchema.optional(),
  enabled: z.boolean().optional(),
  /** Message language; Chinese unless `en`. */
  language: z.enum(NOTIFICATION_LANGUAGES).optional(),
}

const targetBodySchema = z.discriminatedUnion('kind', [
  /** Unsigned without a secret: the receiver cannot tell it from a forgery (README of @sfp/notify). */
  z.strictObject({
    kind: z.literal('webhook'),
    url: targetUrlSchema,
    secret: secretSchema.nullable().optional(),
    ...common,
  }),
  z.strictObject({
    kind: z.literal('dingtalk'),
    url: targetUrlSchema,
    secret: secretSchema.nullable().optional(),
    ...common,
  }),
  z.strictObject({
    kind: z.literal('feishu'),
    url: targetUrlSchema,
    secret: secretSchema.nullable().optional(),
    ...common,
  }),
  /** A WeCom group robot has no signing: its `key` in the URL is the only secret. */
  z.strictObject({ kind: z.literal('wecom'), url: targetUrlSchema, ...common }),
  /** `secret` is the bot token; `url` only names another Bot API server (tests, self-hosted). */
  z.strictObject({
    kind: z.literal('telegram'),
    url: targetUrlSchema.optional(),
    secret: secretSchema,
    chatId: chatIdSchema,
    ...common,
  }),
])

/** A target as stored and as `@sfp/notify` sends to it: secrets in plain text, defaults applied. */
export interface NotificationTarget {
  id: number
  kind: NotificationKind
  label: string | null
  url: string
  secret: string | null
  chatId: string | null
  events: readonly NotificationEvent[]
  enabled: boolean
  language: NotificationLanguage
}
export type NotificationTargetFields = Omit<NotificationTarget, 'id'>

/**
 * `POST /api/manage/notifications`. The kind is checked first, so an unknown one is refused on
 * `kind` by itself; then the fields of that kind (a field another kind has is refused as unknown).
 */
export const createNotificationBodySchema = z
  .looseObject({ kind: notificationKindSchema })
  .pipe(targetBodySchema)
  .transform(
    (body): NotificationTargetFields => ({
      kind: body.kind,
      label: body.label ?? null,
      url: body.url ?? TELEGRAM_API_BASE,
      secret: 'secret' in body ? (body.secret ?? null) : null,
      chatId: 'chatId' in body ? body.chatId : null,
      events: body.events ?? NOTIFICATION_EVENTS,
      enabled: body.enabled ?? true,
      language: body.language ?? 'zh',
    }),
  )
export type CreateNotificationBody = z.input<typeof createNotificationBodySchema>

const PATCH_FIELDS = ['label', 'url', 'secret', 'chatId', 'events', 'enabled', 'language'] as const

/**
 * `PATCH /api/manage/notifications/:id`: the kind stays. `secret: null` removes the secret, an
 * absent field keeps what is stored. Whether the result suits the kind is checked on the merged
 * target (`patchNotificationTarget`).
 */
export const patchNotificationBodySchema = z
  .strictObject({
    label: labelSchema.nullable().optional(),
    url: targetUrlSchema.optional(),
    secret: secretSchema.nullable().optional(),
    chatId: chatIdSchema.optional(),
    events: eventsSchema.optional(),
    enabled: z.boolean().optional(),
    language: z.enum(NOTIFICATION_LANGUAGES).optional(),
  })
  .refine((body) => PATCH_FIELDS.some((field) => body[field] !== undefined), {
    error: `give ${PATCH_FIELDS.join(', ')} or some of them`,
    ...customRule({ kind: 'one_of', fields: [...PATCH_FIELDS] }),
  })
export type PatchNotificationBody = z.infer<typeof patchNotificationBodySchema>

/**
 * The stored target with a validated patch applied, checked again as a whole under its kind (a
 * `chatId` on a webhook, a Telegram target without its token): what the PATCH route stores, or
 * the issues it answers 400 with.
 */
export function patchNotificationTarget(
  current: NotificationTargetFields,
  patch: PatchNotificationBody,
) {
  const merged: Record<string, unknown> = { kind: current.kind, url: current.url }
  if (current.label !== null) merged.label = current.label
  if (current.secret !== null) merged.secret = current.secret
  if (current.chatId !== null) merged.chatId = current.chatId
  Object.assign(merged, {
    events: [...current.events],
    enabled: current.enabled,
    language: current.language,
  })
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined) continue
    if (value === null) delete merged[field]
    else merged[field] = value
  }
  return createNotificationBodySchema.safeParse(merged)
}

export const notificationIdParamsSchema = z.object({ id: decimalId('a notification target id') })

/**
 * Why a delivery failed, as a code and params the dashboard words (like `explanationSchema`).
 * `detail` is the platform's own words (`errmsg`, `msg`, `description`), shortened, with the
 * target's secrets removed.
 */
export const notificationFailureSchema = z.discriminatedUnion('code', [
  /** The receiver answered a status that is not a success. */
  z.object({ code: z.literal('http_status'), params: z.object({ status: z.number().int() }) }),
  /** The platform answered with its own error (`errcode`, `code`, `ok: false`). */
  z.object({
    code: z.literal('platform_error'),
    params: z.object({
      status: z.number().int(),
      platformCode: z.string().nullable(),
      detail: z.string().nullable(),
    }),
  }),
  /** A success status without the platform's answer (not JSON, or no result field). */
  z.object({
    code: z.literal('unreadable_answer'),
    params: z.object({ status: z.number().int() }),
  }),
  /** No answer within the notifier's timeout. */
  z.object({ code: z.literal('timeout'), params: z.object({ timeoutMs: z.number().int() }) }),
  /** No answer at all: undici's or the system's error code (`ECONNREFUSED`, `ENOTFOUND`). */
  z.object({ code: z.literal('network_error'), params: z.object({ errorCode: z.string() }) }),
  /** The server shut down before the message went out. */
  z.object({ code: z.literal('closed'), params: z.object({}) }),
])
export type NotificationFailure = z.infer<typeof notificationFailureSchema>

/** The failure as one English line, for logs and scripts. */
export function notificationFailureText(failure: NotificationFailure): string {
  switch (failure.code) {
    case 'http_status':
      return `the receiver answered HTTP ${failure.params.status}`
    case 'platform_error': {
      const { status, platformCode, detail } = failure.params
      const code = platformCode === null ? '' : ` ${platformCode}`
      return `the platform refused the message (HTTP ${status}, error${code})${detail ? `: ${detail}` : ''}`
    }
    case 'unreadable_answer':
      return `the receiver answered HTTP ${failure.params.status} without the platform's result`
    case 'timeout':
      return `no answer within ${failure.params.timeoutMs} ms`
    case 'network_error':
      return `network error: ${failure.params.errorCode}`
    case 'closed':
      return 'the server shut down before the message went out'
  }
}

const isoTime = z.iso.datetime()

/** A target as every answer shows it: the URL's secret parts masked, never the secret. */
export const notificationViewSchema = z.object({
  id: z.number().int(),
  kind: notificationKindSchema,
  label: z.string().nullable(),
  /** `maskNotificationUrl` of the stored URL. */
  url: z.string(),
  /** A signing secret (webhook, DingTalk, Feishu) or a bot token (Telegram) is stored. */
  hasSecret: z.boolean(),
  chatId: z.string().nullable(),
  events: z.array(notificationEventSchema),
  enabled: z.boolean(),
  language: z.enum(NOTIFICATION_LANGUAGES),
  createdAt: isoTime,
  lastSentAt: isoTime.nullable(),
  lastError: notificationFailureSchema.nullable(),
  lastErrorAt: isoTime.nullable(),
})
export type NotificationView = z.infer<typeof notificationViewSchema>

export const listNotificationsResponseSchema = z.object({
  notifications: z.array(notificationViewSchema),
})
export type ListNotificationsResponse = z.infer<typeof listNotificationsResponseSchema>

/** `POST /api/manage/notifications/:id/test`: one message, no retry. */
export const notificationTestResultSchema = z.object({
  ok: z.boolean(),
  /** The receiver's HTTP status; null when none arrived. */
  status: z.number().int().nullable(),
  error: notificationFailureSchema.nullable(),
})
export type NotificationTestResult = z.infer<typeof notificationTestResultSchema>

/** What the notifier holds now, for the admin view (`notifier.status()`). */
export const notifierStatusSchema = z.object({
  /** Messages waiting or being retried, over all targets. */
  queued: z.number().int(),
  /** Messages dropped because a target's queue was full, since the start. */
  dropped: z.number().int(),
  /** Conditions raised and not cleared yet (`key_invalid` of `key:12`, ...). */
  activeConditions: z.number().int(),
  targets: z.array(
    z.object({
      id: z.number().int(),
      queued: z.number().int(),
      dropped: z.number().int(),
      sent: z.number().int(),
      failed: z.number().int(),
      lastSentAt: isoTime.nullable(),
      lastError: notificationFailureSchema.nullable(),
      lastErrorAt: isoTime.nullable(),
    }),
  ),
})
export type NotifierStatus = z.infer<typeof notifierStatusSchema>

/** A path segment that looks like a token: long and made of token characters only. */
const TOKEN_SEGMENT = /^[A-Za-z0-9_:-]{16,}$/
/** A Telegram `bot<token>` segment, whatever its length. */
const BOT_SEGMENT = /^bot\d+:/

/**
 * A target URL as answers show it: credentials, every query value (`access_token`, `key`, ...),
 * Feishu's hook token, a Telegram `bot<token>` and any long token-like path segment become `***`;
 * the host and the rest of the path stay, so the admin can tell targets apart.
 */
export function maskNotificationUrl(url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return '***'
  }
  const credentials = parsed.username !== '' || parsed.password !== '' ? '***@' : ''
  let afterHook = false
  const path = parsed.pathname
    .split('/')
    .map((segment) => {
      const secret = afterHook || BOT_SEGMENT.test(segment) || TOKEN_SEGMENT.test(segment)
      afterHook = afterHook || segment === 'hook'
      if (!secret || segment === '') return segment
      return BOT_SEGMENT.test(segment) ? 'bot***' : '***'
    })
    .join('/')
  const query = [...parsed.searchParams.keys()].map((name) => `${name}=***`).join('&')
  return `${parsed.protocol}//${credentials}${parsed.host}${path}${query === '' ? '' : `?${query}`}`
}
