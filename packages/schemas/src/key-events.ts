import { z } from 'zod'
import { explanationSchema } from './explanations.js'
import { decimalId, decimalInteger } from './ids.js'
import { keyStatusSchema } from './keys.js'

/**
 * What happened to a key and why: every state change, every switch of the key in use, and the
 * admin overrides (activation, on-demand checks) that the switch guard allows.
 */
export const KEY_EVENT_TYPES = ['added', 'removed', 'state', 'switch', 'override', 'check'] as const
export const keyEventTypeSchema = z.enum(KEY_EVENT_TYPES)
export type KeyEventType = z.infer<typeof keyEventTypeSchema>

export const keyEventViewSchema = z.object({
  id: z.number().int(),
  time: z.iso.datetime(),
  keyId: z.number().int().nullable(),
  type: keyEventTypeSchema,
  fromStatus: keyStatusSchema.nullable(),
  toStatus: keyStatusSchema.nullable(),
  /** In English words (scripts); `explanation` is the same as a code the dashboard translates. */
  reason: z.string(),
  /** Null for events recorded before codes existed (their text stays in `reason`). */
  explanation: explanationSchema.nullable(),
})
export type KeyEventView = z.infer<typeof keyEventViewSchema>

export const listKeyEventsQuerySchema = z.object({
  keyId: decimalId('a key id').optional(),
  limit: decimalInteger({ min: 1, max: 500 }).default(50),
})

export const listKeyEventsResponseSchema = z.object({ events: z.array(keyEventViewSchema) })
export type ListKeyEventsResponse = z.infer<typeof listKeyEventsResponseSchema>
