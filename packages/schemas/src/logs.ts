import { z } from 'zod'
import { customRule, type ProxyErrorCode } from './errors.js'
import { explanationSchema } from './explanations.js'
import { decimalId, decimalInteger, type TextRefusal } from './ids.js'

/**
 * What a request log row's `errorType` holds: the code of an error the proxy made itself, or one
 * of the ways an upstream answer went wrong that are not the proxy's errors. The dashboard words
 * each (a missing one is a type error there); an unknown string (an older build's) is shown as is.
 */
export type LogErrorType = ProxyErrorCode | 'upstream_error' | 'client_disconnected'

const isoTime = z.iso.datetime()
const int = z.number().int()

/**
 * What a failed upstream connection or answer came to, read from undici's or the system's error
 * code (`@sfp/egress` `transportFailure` is the one place that reads codes): the proxy's 502/504
 * and a broken-off answer say it, and a failed way out is worded from it.
 */
export const TRANSPORT_FAILURE_CAUSES = [
  'connect_timeout',
  'headers_timeout',
  'body_timeout',
  'connection_closed',
  'connection_refused',
  'connection_reset',
  'tunnel_refused',
  'socks_refused',
  'headers_too_large',
  'answer_too_short',
  'malformed_answer',
  'host_not_found',
  'dns_failed',
  'host_unreachable',
  'network_unreachable',
  'shutting_down',
  'failed',
] as const
export type TransportFailureCause = (typeof TRANSPORT_FAILURE_CAUSES)[number]

/** A transport failure: its cause, and undici's or the system's code (`ECONNREFUSED`). */
export const transportFailureSchema = z.object({
  cause: z.enum(TRANSPORT_FAILURE_CAUSES),
  code: z.string(),
})
export type TransportFailure = z.infer<typeof transportFailureSchema>

const logError = <Type extends LogErrorType, Params extends z.ZodType>(
  type: Type,
  params: Params,
) => z.object({ type: z.literal(type), params })

/**
 * A request log row's error as its type code and typed params (docs/behaviour.md §7), for the
 * error types that have more to say than their name; the dashboard words them in the reader's
 * language. `errorMessage` keeps the same in English for scripts (and is all that rows written
 * before params existed have). Params never hold a secret: upstream words are masked and cut.
 */
export const logErrorDetailSchema = z.discriminatedUnion('type', [
  /** A passed-through upstream error: its status and its own message, if it had one. */
  logError('upstream_error', z.object({ status: int, detail: z.string().nullable() })),
  logError('upstream_unreachable', transportFailureSchema),
  logError('upstream_timeout', transportFailureSchema),
  logError('upstream_stream_error', transportFailureSchema),
  /** `cutAfterMs`: the client took no byte of the answer this long and was cut; null: it left. */
  logError('client_disconnected', z.object({ cutAfterMs: int.nullable() })),
  /** Refusals of the dispatch: why, as the explanation the refusal carried. */
  logError('key_switch_guard', z.object({ why: explanationSchema })),
  logError('rate_limited', z.object({ why: explanationSchema })),
  logError('no_available_key', z.object({ why: explanationSchema })),
  logError('no_available_egress', z.object({ why: explanationSchema })),
  logError('egress_blocked', z.object({ why: explanationSchema })),
  logError('database_unavailable', z.object({ why: explanationSchema })),
])
export type LogErrorDetail = z.infer<typeof logErrorDetailSchema>
export type LogErrorDetailType = LogErrorDetail['type']
export type LogErrorParams<Type extends LogErrorDetailType> = Extract<
  LogErrorDetail,
  { type: Type }
>['params']

/** A row's error type and params as one typed detail; null when absent or of an unknown shape. */
export function readLogErrorDetail(type: string | null, params: unknown): LogErrorDetail | null {
  if (type === null || params === null || params === undefined) return null
  const parsed = logErrorDetailSchema.safeParse({ type, params })
  return parsed.success ? parsed.data : null
}

/** The latest time a JavaScript Date can hold (year 275760): later ones cannot be shown as ISO. */
export const MAX_TIME_MS = 8_640_000_000_000_000

/**
 * A query text read by the first of `readers` that accepts it; anything else is one issue with
 * `refusal` (rather than the issues of every reader, none of which alone says what is wanted).
 */
function firstReading<Readers extends readonly [z.ZodType, ...z.ZodType[]]>(
  readers: Readers,
  { message, rule }: TextRefusal,
) {
  return z.string({ error: message }).transform((text, ctx) => {
    for (const reader of readers) {
      const read = reader.safeParse(text)
      if (read.success) return read.data as z.output<Readers[number]>
    }
    ctx.issues.push({ code: 'custom', message, input: text, ...customRule(rule) })
    return z.NEVER
  })
}

/**
 * A time filter: ISO 8601 or milliseconds since the epoch, the latter as a decimal integer only
 * (`1e12` or `0x…` are refused, not read as some other time).
 */
export const timeInputSchema = firstReading(
  [
    decimalInteger({ min: 0, max: MAX_TIME_MS }),
    z.iso.datetime({ offset: true }).transform((iso) => Date.parse(iso)),
  ],
  {
    message: `must be an ISO 8601 time or milliseconds since 1970 (a decimal integer from 0 to ${MAX_TIME_MS})`,
    rule: { kind: 'time', maximum: MAX_TIME_MS },
  },
)

/** @see docs/behaviour.md §7: one row per proxied request. */
export const logEntrySchema = z.object({
  id: z.number().int(),
  time: isoTime,
  requestId: z.string(),
  clientKeyId: z.number().int().nullable(),
  upstreamKeyId: z.number().int().nullable(),
  /** The egress lane of the last attempt, or null when nothing went upstream. */
  egressId: z.number().int().nullable(),
  /** The client's address (behind TRUST_PROXY: the one the reverse proxy reported). */
  clientIp: z.string().nullable(),
  method: z.string(),
  path: z.string(),
  model: z.string().nullable(),
  stream: z.boolean(),
  status: z.number().int(),
  upstreamStatus: z.number().int().nullable(),
  attempts: z.number().int(),
  queueWaitMs: z.number().int().nullable(),
  ttfbMs: z.number().int().nullable(),
  durationMs: z.number().int(),
  promptTokens: z.number().int().nullable(),
  completionTokens: z.number().int().nullable(),
  totalTokens: z.number().int().nullable(),
  errorType: z.string().nullable(),
  /** In English words (scripts); `errorParams` says the same as typed params of `errorType`. */
  errorMessage: z.string().nullable(),
  /**
   * The params of `errorType` (`logErrorDetailSchema`, read with `readLogErrorDetail`); null for
   * types without any and for rows written before params existed (their text is `errorMessage`).
   */
  errorParams: z.record(z.string(), z.unknown()).nullable(),
  /** CNY by the price table (docs/behaviour.md §11); null when no price applies, never 0 for it. */
  cost: z.number().nullable(),
})
export type LogEntry = z.infer<typeof logEntrySchema>

/** `status` filters by exact code (`429`) or class (`2xx`, `4xx`, `5xx`); `error` = 4xx and 5xx. */
export const logStatusFilterSchema = firstReading(
  [z.enum(['2xx', '3xx', '4xx', '5xx', 'error']), decimalInteger({ min: 100, max: 599 })],
  {
    message: 'must be 2xx, 3xx, 4xx, 5xx, error or a status code from 100 to 599',
    rule: { kind: 'status_filter' },
  },
)

export const listLogsQuerySchema = z.object({
  /** The id of the last row of the previous page, kept as text (`nextCursor`). */
  cursor: decimalInteger({
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    refusal: { message: 'must be a cursor returned by a previous page', rule: { kind: 'cursor' } },
  })
    .transform(String)
    .optional(),
  limit: decimalInteger({ min: 1, max: 500 }).default(50),
  keyId: decimalId('a key id').optional(),
  egressId: decimalId('an egress id').optional(),
  status: logStatusFilterSchema.optional(),
  model: z.string().max(200).optional(),
  from: timeInputSchema.optional(),
  to: timeInputSchema.optional(),
})
export type ListLogsQuery = z.infer<typeof listLogsQuerySchema>

export const listLogsResponseSchema = z.object({
  items: z.array(logEntrySchema),
  nextCursor: z.string().nullable(),
})
export type ListLogsResponse = z.infer<typeof listLogsResponseSchema>

export const STATS_BUCKETS = { minute: 60, '5m': 300, hour: 3600, day: 86_400 } as const
export type StatsBucket = keyof typeof STATS_BUCKETS

export const statsQuerySchema = z.object({
  from: timeInputSchema.optional(),
  to: timeInputSchema.optional(),
  bucket: z.enum(Object.keys(STATS_BUCKETS) as [StatsBucket, ...StatsBucket[]]).default('hour'),
  keyId: decimalId('a key id').optional(),
  egressId: decimalId('an egress id').optional(),
  /** `key` / `egress` / `client`: one series per upstream key / egress lane / client key besides the total. */
  groupBy: z.enum(['none', 'key', 'egress', 'client']).default('none'),
})
export type StatsQuery = z.infer<typeof statsQuerySchema>

export const statsBucketSchema = z.object({
  start: isoTime,
  requests: z.number().int(),
  errors: z.number().int(),
  promptTokens: z.number().int(),
  completionTokens: z.number().int(),
  totalTokens: z.number().int(),
  avgLatencyMs: z.number().nullable(),
  maxLatencyMs: z.number().nullable(),
  avgTtfbMs: z.number().nullable(),
  /**
   * CNY of the bucket's priced requests (docs/behaviour.md §11); null when none was priced (and
   * from servers older than the price table, which do not send it).
   */
  cost: z.number().nullable().default(null),
})
export type StatsBucketView = z.infer<typeof statsBucketSchema>

export const statsResponseSchema = z.object({
  from: isoTime,
  to: isoTime,
  bucketSeconds: z.number().int(),
  /** Every bucket from `from` to `to`, in order; empty ones have zero requests, no gaps. */
  buckets: z.array(statsBucketSchema),
  /** Present when `groupBy=key`: the same buckets per upstream key id. */
  byKey: z
    .array(z.object({ keyId: z.number().int().nullable(), buckets: z.array(statsBucketSchema) }))
    .optional(),
  /** Present when `groupBy=egress`: the same buckets per egress lane id. */
  byEgress: z
    .array(z.object({ egressId: z.number().int().nullable(), buckets: z.array(statsBucketSchema) }))
    .optional(),
  /**
   * Present when `groupBy=client`: the same buckets per client key id (null: requests made with
   * a `PROXY_API_KEYS` key, or refused before a client key was known).
   */
  byClient: z
    .array(
      z.object({ clientKeyId: z.number().int().nullable(), buckets: z.array(statsBucketSchema) }),
    )
    .optional(),
})
export type StatsResponse = z.infer<typeof statsResponseSchema>
