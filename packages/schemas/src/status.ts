import { z } from 'zod'
import { KEY_SWITCH_POLICIES } from './config.js'
import { egressStateSchema } from './egresses.js'
import { explanationSchema } from './explanations.js'
import { type KEY_STATUSES, keyStatusSchema } from './keys.js'

const isoTime = z.iso.datetime()

export const dispatchStatusSchema = z.object({
  concurrency: z.number().int(),
  inFlight: z.number().int(),
  queued: z.number().int(),
  queueMax: z.number().int(),
  /** How long the oldest waiter has waited, 0 when nobody waits. */
  oldestWaitMs: z.number().int(),
})
export type DispatchStatus = z.infer<typeof dispatchStatusSchema>

export const switchGuardStatusSchema = z.object({
  policy: z.enum(KEY_SWITCH_POLICIES),
  minutes: z.number(),
  /** The key in use: new requests go to it while it is usable. */
  currentKeyId: z.number().int().nullable(),
  /** The key last sent upstream, and when. */
  lastUsedKeyId: z.number().int().nullable(),
  lastUsedAt: isoTime.nullable(),
  lastSwitchAt: isoTime.nullable(),
  /** Until then, sending any other key upstream is a switch inside the guard window. */
  nextSwitchAllowedAt: isoTime.nullable(),
  /** Why requests are being refused right now, if they are (for the dashboard). */
  blocked: z
    .object({
      code: z.enum([
        'key_switch_guard',
        'rate_limited',
        'no_available_key',
        'no_available_egress',
        'egress_blocked',
      ]),
      message: z.string(),
      retryAfterSeconds: z.number().int().nullable(),
      /** The message as a code the dashboard translates (times as ISO, shown in local time). */
      explanation: explanationSchema.nullable(),
    })
    .nullable(),
})
export type SwitchGuardStatus = z.infer<typeof switchGuardStatusSchema>

export const poolStatusSchema = z.object({
  total: z.number().int(),
  byStatus: z.record(keyStatusSchema, z.number().int()),
  /** Sum of known balances (CNY); null when no balance is known. */
  totalBalance: z.number().nullable(),
  currentKeyId: z.number().int().nullable(),
})
export type PoolStatus = z.infer<typeof poolStatusSchema>

/** One egress lane: its own slots and switch guard (docs/behaviour.md §6 shapes, per lane). */
export const laneStatusSchema = z.object({
  id: z.number().int(),
  label: z.string().nullable(),
  state: egressStateSchema,
  dispatch: dispatchStatusSchema,
  switchGuard: switchGuardStatusSchema,
})
export type LaneStatus = z.infer<typeof laneStatusSchema>

export const statusViewSchema = z.object({
  /** Totals over every lane; `queued` is the one queue in front of them. */
  dispatch: dispatchStatusSchema,
  /**
   * The built-in direct lane's guard (the first lane's when there is none), as before lanes
   * existed; `blocked` says why a request would be refused right now, whichever lane it took.
   */
  switchGuard: switchGuardStatusSchema,
  egresses: z.array(laneStatusSchema),
  pool: poolStatusSchema,
  uptimeSeconds: z.number().int(),
  startedAt: isoTime,
  version: z.string(),
})
export type StatusView = z.infer<typeof statusViewSchema>

export function emptyStatusCounts(): Record<(typeof KEY_STATUSES)[number], number> {
  return { active: 0, cooling: 0, insufficient: 0, invalid: 0, error: 0, disabled: 0 }
}
