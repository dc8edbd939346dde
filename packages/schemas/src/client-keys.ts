import { z } from 'zod'
import { decimalId } from './ids.js'

/**
 * Where a client key came from when it was not made here: `siliconflowProxy` is the old
 * program's ADMIN_PASSWORD, imported so its clients keep working (README "Moving from
 * siliconflowProxy"); the dashboard suggests replacing it.
 */
export const CLIENT_KEY_ORIGINS = ['siliconflowProxy'] as const
export const clientKeyOriginSchema = z.enum(CLIENT_KEY_ORIGINS)
export type ClientKeyOrigin = z.infer<typeof clientKeyOriginSchema>

/** A client key made in the dashboard. Only its hash is stored; `prefix` identifies it. */
export const clientKeyViewSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  prefix: z.string(),
  createdAt: z.iso.datetime(),
  lastUsedAt: z.iso.datetime().nullable(),
  requestCount: z.number().int(),
  /** Null for keys made here (and when an older server does not say). */
  origin: clientKeyOriginSchema.nullable().default(null),
})
export type ClientKeyView = z.infer<typeof clientKeyViewSchema>

export const listClientKeysResponseSchema = z.object({
  keys: z.array(clientKeyViewSchema),
  /** How many keys come from PROXY_API_KEYS (they are not listed). */
  envKeyCount: z.number().int(),
})
export type ListClientKeysResponse = z.infer<typeof listClientKeysResponseSchema>

export const createClientKeyBodySchema = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(100, { error: 'must be at most 100 characters' }),
})
export type CreateClientKeyBody = z.infer<typeof createClientKeyBodySchema>

/** The only answer that ever carries a client key in plain text. */
export const createClientKeyResponseSchema = z.object({
  key: clientKeyViewSchema,
  plaintext: z.string(),
})
export type CreateClientKeyResponse = z.infer<typeof createClientKeyResponseSchema>

export const clientKeyIdParamsSchema = z.object({ id: decimalId('a client key id') })
