import { z } from 'zod'
import type { ProxyErrorCode } from './errors.js'
import { decimalId, decimalInteger } from './ids.js'

/**
 * What a request log row's `errorType` holds: the code of an error the proxy made itself, or one
 * of the ways an upstream answer went wrong that are not the proxy's errors. The dashboard words
 * each (a missing one is a type error there); an unknown string (an older build's) is shown as is.
 */
export type LogErrorType = ProxyErrorCode | 'upstream_error' | 'client_disconnected'

const isoTime = z.iso.datetime()

/** The latest time a JavaScript Date can hold (year 275760): later ones cannot be shown as ISO. */
export const MAX_TIME_MS = 8_640_000_000_000_000

/**
 * A time filter: ISO 8601 or milliseconds since the epoch, the latter as a decimal integer only
 * (`1e12` or `0x…` are refused, not read as some other time).
 */
export const timeInputSchema = z.union(
  [
    decimalInteger({ min: 0, max: MAX_TIME_MS }),
    z.iso.datetime({ offset: true }).transform((iso) => Date.parse(iso)),
  ],
  {
    error: `must be an ISO 8601 time or milliseconds since 1970 (a decimal integer from 0 to ${MAX_TIME_MS})`,
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
  errorMessage: z.string().nullable(),
})
export type LogEntry = z.infer<typeof logEntrySchema>

/** `status` filters by exact code (`429`) or class (`2xx`, `4xx`, `5xx`); `error` = 4xx and 5xx. */
export const logStatusFilterSchema = z.union(
  [z.enum(['2xx', '3xx', '4xx', '5xx', 'error']), decimalInteger({ min: 100, max: 599 })],
  { error: 'must be 2xx, 3xx, 4xx, 5xx, error or a status code from 100 to 599' },
)

export const listLogsQuerySchema = z.object({
  /** The id of the last row of the previous page, kept as text (`nextCursor`). */
  cursor: decimalInteger({
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    error: 'must be a cursor returned by a previous page',
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
  /** `key` / `egress`: one series per upstream key / egress lane besides the total. */
  groupBy: z.enum(['none', 'key', 'egress']).default('none'),
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
})
export type StatsResponse = z.infer<typeof statsResponseSchema>
