import { z } from 'zod'
import { customRule } from './errors.js'
import { explanationSchema } from './explanations.js'
import { decimalId, decimalInteger } from './ids.js'
import { rateLimitClassSchema } from './rate-limits.js'

/** @see docs/behaviour.md §4: the life cycle of an upstream key. */
export const KEY_STATUSES = [
  'active',
  'cooling',
  'insufficient',
  'invalid',
  'error',
  'disabled',
] as const
export const keyStatusSchema = z.enum(KEY_STATUSES)

export type KeyStatus = z.infer<typeof keyStatusSchema>

/** Dashboard labels, Chinese first (docs/behaviour.md §4), English second. */
export const KEY_STATUS_LABELS: Record<KeyStatus, { zh: string; en: string }> = {
  active: { zh: '正常', en: 'Active' },
  cooling: { zh: '限流冷却', en: 'Rate-limited' },
  insufficient: { zh: '欠费', en: 'Insufficient balance' },
  invalid: { zh: '无效', en: 'Invalid' },
  error: { zh: '错误', en: 'Error' },
  disabled: { zh: '已停用', en: 'Disabled' },
}

const isoTime = z.iso.datetime()

/** An upstream key as every API answer shows it: masked, never the key itself. */
export const keyViewSchema = z.object({
  id: z.number().int(),
  label: z.string().nullable(),
  maskedKey: z.string(),
  status: keyStatusSchema,
  isCurrent: z.boolean(),
  balance: z.number().nullable(),
  balanceCheckedAt: isoTime.nullable(),
  /**
   * CNY spent through the key since its balance was last known, by the price table
   * (docs/behaviour.md §11); null while no priced request went through it.
   */
  spent: z.number().nullable(),
  /** The last known balance minus `spent`: an estimate; null when no balance was ever known. */
  estimatedBalance: z.number().nullable(),
  callCount: z.number().int(),
  errorCount: z.number().int(),
  consecutiveErrors: z.number().int(),
  /** The last error in English words (scripts); `lastErrorDetail` is the same as a code. */
  lastError: z.string().nullable(),
  /** Null for errors stored before codes existed (their text stays in `lastError`). */
  lastErrorDetail: explanationSchema.nullable(),
  lastUsedAt: isoTime.nullable(),
  cooldownUntil: isoTime.nullable(),
  /** The limit the key's last 429 named; null before any, or when the answer named none. */
  rateLimitClass: rateLimitClassSchema.nullable(),
  /** Models upstream refused this key (a 403 while its balance was fine); it serves the rest. */
  blockedModels: z.array(z.string()),
  createdAt: isoTime,
  /** The egress lane the key belongs to (the one that last took it), or null. */
  egressId: z.number().int().nullable(),
})
export type KeyView = z.infer<typeof keyViewSchema>

export const keyIdParamsSchema = z.object({
  id: decimalId('a key id'),
})

export const listKeysQuerySchema = z.object({
  status: keyStatusSchema.optional(),
  limit: decimalInteger({ min: 1, max: 100_000 }).optional(),
  offset: decimalInteger({ min: 0, max: Number.MAX_SAFE_INTEGER }).default(0),
})
export type ListKeysQuery = z.infer<typeof listKeysQuerySchema>

export const listKeysResponseSchema = z.object({
  keys: z.array(keyViewSchema),
  /** Keys matching the filter, before limit/offset. */
  total: z.number().int(),
})
export type ListKeysResponse = z.infer<typeof listKeysResponseSchema>

const LABEL_MAX = 100
const label = z
  .string()
  .trim()
  .max(LABEL_MAX, { error: `must be at most ${LABEL_MAX} characters` })

/** One key (`api_key`) or many separated by whitespace, commas or semicolons (`api_keys`). */
export const addKeysBodySchema = z
  .strictObject({
    api_key: z.string().max(4096).optional(),
    api_keys: z
      .string()
      .max(8 * 1024 * 1024)
      .optional(),
    label: label.optional(),
  })
  .refine((body) => (body.api_key === undefined) !== (body.api_keys === undefined), {
    error: 'send {"api_key": "..."} or {"api_keys": "k1\\nk2"}',
    ...customRule({ kind: 'one_of', fields: ['api_key', 'api_keys'] }),
  })
  .transform(
    ({
      api_key,
      api_keys,
      label,
    }): { api_key: string; label?: string } | { api_keys: string; label?: string } =>
      // The refinement left exactly one of the two.
      api_key === undefined ? { api_keys: api_keys as string, label } : { api_key, label },
  )
export type AddKeysBody = z.infer<typeof addKeysBodySchema>

/** Why an entry of a bulk import was rejected; the dashboard translates by code. */
export const INVALID_KEY_CODES = [
  'invalid_characters',
  'too_short',
  'too_long',
  /** The answer lists at most 1,000 rejected entries; `count` says how many more there were. */
  'more_not_listed',
] as const

export const invalidKeyInputSchema = z.object({
  /** The rejected entry, masked like a key. */
  input: z.string(),
  code: z.enum(INVALID_KEY_CODES),
  /** The same in English words, for API users. */
  reason: z.string(),
  /** Only with `more_not_listed`. */
  count: z.number().int().optional(),
})
export type InvalidKeyInput = z.infer<typeof invalidKeyInputSchema>

export const addKeysResponseSchema = z.object({
  added: z.array(keyViewSchema),
  duplicates: z.number().int(),
  invalid: z.array(invalidKeyInputSchema),
})
export type AddKeysResponse = z.infer<typeof addKeysResponseSchema>

const REASON_MAX = 200

export const patchKeyBodySchema = z
  .strictObject({
    enabled: z.boolean().optional(),
    label: label.nullable().optional(),
    /** Why the admin disables the key (with `enabled: false` only); kept in its key event. */
    reason: z
      .string()
      .trim()
      .max(REASON_MAX, { error: `must be at most ${REASON_MAX} characters` })
      .optional(),
    /**
     * The balance the admin read in SiliconFlow's console (CNY), for when upstream no longer
     * reports it (`/v1/user/info` retired): the estimate counts down from it (docs/behaviour.md §11).
     */
    balance: z.number().finite().min(0).max(10_000_000).optional(),
  })
  .refine(
    (body) => body.enabled !== undefined || body.label !== undefined || body.balance !== undefined,
    {
      error: 'give enabled, label or balance',
      ...customRule({ kind: 'one_of', fields: ['enabled', 'label', 'balance'] }),
    },
  )
  .refine((body) => body.reason === undefined || body.enabled === false, {
    error: 'reason goes with enabled: false',
    path: ['reason'],
  })
export type PatchKeyBody = z.infer<typeof patchKeyBodySchema>

/** Bulk actions from the dashboard's multi-select. */
export const bulkKeyActionBodySchema = z.strictObject({
  action: z.enum(['delete', 'check', 'enable', 'disable']),
  ids: z.array(z.number().int().positive()).min(1).max(100_000),
})
export type BulkKeyActionBody = z.infer<typeof bulkKeyActionBodySchema>

export const bulkKeyActionResponseSchema = z.object({
  affected: z.number().int(),
  notFound: z.array(z.number().int()),
})
export type BulkKeyActionResponse = z.infer<typeof bulkKeyActionResponseSchema>

/**
 * How a key string is shown anywhere outside the export route: first 6 and last 4 characters.
 * Short strings are cut harder so that at most a third of them is ever visible.
 */
export function maskSecret(secret: string): string {
  if (secret.length >= 16) return `${secret.slice(0, 6)}…${secret.slice(-4)}`
  const visible = Math.floor(secret.length / 6)
  return `${secret.slice(0, visible)}…${visible > 0 ? secret.slice(-visible) : ''}`
}
