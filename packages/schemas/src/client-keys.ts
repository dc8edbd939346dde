import { z } from 'zod'
import { customRule } from './errors.js'
import { decimalId } from './ids.js'
import { formatIpRange, parseIpRange } from './ip-ranges.js'

export {
  formatIpRange,
  type IpRange,
  ipInRange,
  parseIpAddress,
  parseIpRange,
} from './ip-ranges.js'

/**
 * Where a client key came from when it was not made here: `siliconflowProxy` is the old
 * program's ADMIN_PASSWORD, imported so its clients keep working (README "Moving from
 * siliconflowProxy"); the dashboard suggests replacing it.
 */
export const CLIENT_KEY_ORIGINS = ['siliconflowProxy'] as const
export const clientKeyOriginSchema = z.enum(CLIENT_KEY_ORIGINS)
export type ClientKeyOrigin = z.infer<typeof clientKeyOriginSchema>

/**
 * A model a client key may use: an exact name (`Qwen/Qwen2.5-7B-Instruct`) or every model of one
 * organisation (`deepseek-ai/*`, also `Pro/*`), the only wildcard there is.
 */
const MODEL_PATTERN = /^[^\s*]+(?:\/\*)?$/

const modelPatternSchema = z
  .string()
  .trim()
  .min(1, { error: 'must not be empty' })
  .max(200, { error: 'must be at most 200 characters' })
  .regex(MODEL_PATTERN, { error: 'must be a model name or Org/* (no spaces, * only at the end)' })

/** Sorted and without repeats, so the stored list reads the same however it was sent. */
const normalisedList = (items: string[]) => [...new Set(items)].sort()

const modelListSchema = z
  .array(modelPatternSchema)
  .min(1, { error: 'must name a model: null allows every model' })
  .max(500, { error: 'must be at most 500 entries' })
  .transform(normalisedList)

const ipRangeSchema = z
  .string()
  .trim()
  .max(64, { error: 'must be at most 64 characters' })
  .transform((text, ctx) => {
    const range = parseIpRange(text)
    if (range !== null) return formatIpRange(range)
    ctx.addIssue({ code: 'custom', message: 'must be an IPv4 or IPv6 address or CIDR' })
    return z.NEVER
  })

const ipListSchema = z
  .array(ipRangeSchema)
  .min(1, { error: 'must name an address: null allows any' })
  .max(500, { error: 'must be at most 500 entries' })
  .transform(normalisedList)

const positiveLimit = (max: number) =>
  z
    .number()
    .int({ error: 'must be a whole number' })
    .min(1, { error: 'must be at least 1: null for no limit' })
    .max(max, { error: `must be at most ${max}` })

const nameSchema = z
  .string()
  .trim()
  .min(1, { error: 'must not be empty' })
  .max(100, { error: 'must be at most 100 characters' })

/**
 * What a client key may do (docs/behaviour.md §12); null is no limit. Lists arrive normalised:
 * trimmed, without repeats, sorted, addresses in their canonical form (`10.0.0.0/8`,
 * `2001:db8::/32`, the host bits of a CIDR cleared).
 */
const clientKeyLimitsShape = {
  /** Exact model names and `Org/*` patterns; null: every model. */
  models: modelListSchema.nullable(),
  /** From then on the key is refused with 401 `client_key_expired`. */
  expiresAt: z.iso
    .datetime({ offset: true, error: 'must be an ISO 8601 time' })
    .transform((text) => new Date(text).toISOString())
    .nullable(),
  /** Requests per minute (a fixed minute window). */
  rpm: positiveLimit(1_000_000).nullable(),
  /** Requests per day, China Standard Time. */
  dailyRequests: positiveLimit(1_000_000_000).nullable(),
  /** Tokens per day (the request log's total tokens), China Standard Time. */
  dailyTokens: positiveLimit(1_000_000_000_000).nullable(),
  /** Spend per month in CNY; enforced once request costs are known (the price table). */
  monthlySpendCny: z
    .number()
    .positive({ error: 'must be more than 0: null for no limit' })
    .max(1_000_000_000, { error: 'must be at most 1000000000' })
    .nullable(),
  /** Client IPs and CIDRs, IPv4 and IPv6; null: any address. */
  allowedIps: ipListSchema.nullable(),
  note: z
    .string()
    .trim()
    .max(500, { error: 'must be at most 500 characters' })
    .transform((text) => (text === '' ? null : text))
    .nullable(),
}

export const CLIENT_KEY_LIMIT_FIELDS = [
  'models',
  'expiresAt',
  'rpm',
  'dailyRequests',
  'dailyTokens',
  'monthlySpendCny',
  'allowedIps',
  'note',
] as const satisfies readonly (keyof typeof clientKeyLimitsShape)[]

export const clientKeyLimitsSchema = z.object(clientKeyLimitsShape)
export type ClientKeyLimits = z.infer<typeof clientKeyLimitsSchema>

/** Use of the current periods, China Standard Time. */
export const clientKeyPeriodUsageSchema = z.object({
  requestsToday: z.number().int(),
  tokensToday: z.number().int(),
  /** Zero until request costs are known (the price table). */
  spendThisMonthCny: z.number(),
})
export type ClientKeyPeriodUsage = z.infer<typeof clientKeyPeriodUsageSchema>

/**
 * A client key made in the dashboard. Only its hash is stored; `prefix` identifies it. The limits
 * and usage read as none when an older server does not send them.
 */
export const clientKeyViewSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  prefix: z.string(),
  createdAt: z.iso.datetime(),
  lastUsedAt: z.iso.datetime().nullable(),
  requestCount: z.number().int(),
  /** Null for keys made here (and when an older server does not say). */
  origin: clientKeyOriginSchema.nullable().default(null),
  models: z.array(z.string()).nullable().default(null),
  expiresAt: z.iso.datetime().nullable().default(null),
  rpm: z.number().int().nullable().default(null),
  dailyRequests: z.number().int().nullable().default(null),
  dailyTokens: z.number().int().nullable().default(null),
  monthlySpendCny: z.number().nullable().default(null),
  allowedIps: z.array(z.string()).nullable().default(null),
  note: z.string().nullable().default(null),
  usage: clientKeyPeriodUsageSchema.default({
    requestsToday: 0,
    tokensToday: 0,
    spendThisMonthCny: 0,
  }),
})
export type ClientKeyView = z.infer<typeof clientKeyViewSchema>

export const listClientKeysResponseSchema = z.object({
  keys: z.array(clientKeyViewSchema),
  /** How many keys come from PROXY_API_KEYS (they are not listed). */
  envKeyCount: z.number().int(),
})
export type ListClientKeysResponse = z.infer<typeof listClientKeysResponseSchema>

/** `POST /api/manage/client-keys`: a name, and any limits (absent: none). */
export const createClientKeyBodySchema = z.strictObject({
  name: nameSchema,
  ...clientKeyLimitsSchema.partial().shape,
})
export type CreateClientKeyBody = z.infer<typeof createClientKeyBodySchema>

const PATCH_FIELDS = ['name', ...CLIENT_KEY_LIMIT_FIELDS] as const

/**
 * `PATCH /api/manage/client-keys/:id`: the fields given change (null lifts a limit), the absent
 * ones stay. The key itself never changes and is never shown again.
 */
export const patchClientKeyBodySchema = z
  .strictObject({ name: nameSchema.optional(), ...clientKeyLimitsSchema.partial().shape })
  .refine((body) => PATCH_FIELDS.some((field) => body[field] !== undefined), {
    error: `give ${PATCH_FIELDS.join(', ')} or some of them`,
    ...customRule({ kind: 'one_of', fields: [...PATCH_FIELDS] }),
  })
export type PatchClientKeyBody = z.infer<typeof patchClientKeyBodySchema>

/** The only answer that ever carries a client key in plain text. */
export const createClientKeyResponseSchema = z.object({
  key: clientKeyViewSchema,
  plaintext: z.string(),
})
export type CreateClientKeyResponse = z.infer<typeof createClientKeyResponseSchema>

export const clientKeyIdParamsSchema = z.object({ id: decimalId('a client key id') })
