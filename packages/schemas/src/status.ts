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
        'database_unavailable',
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
  /**
   * The instance that drives the lane now (docs/behaviour.md §9): this one's INSTANCE_ID when it
   * holds the lane's lease, another's in cluster mode, null when nobody holds it.
   */
  drivenBy: z.string().nullable(),
})
export type LaneStatus = z.infer<typeof laneStatusSchema>

/** One instance of the deployment (docs/behaviour.md §9); a single instance lists itself. */
export const instanceStatusSchema = z.object({
  /** INSTANCE_ID */
  id: z.string(),
  /** Where it listens (host:port); null when not known. */
  address: z.string().nullable(),
  startedAt: isoTime,
  lastSeenAt: isoTime,
  /** The egress ids it drives (holds the lease of), ascending. */
  lanes: z.array(z.number().int()),
  /** The instance that answered this request. */
  self: z.boolean(),
})
export type InstanceStatus = z.infer<typeof instanceStatusSchema>

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
  /** `single`: SQLite, one process; `cluster`: instances sharing one PostgreSQL. */
  mode: z.enum(['single', 'cluster']),
  /** Live instances, this one included; one entry in single mode. */
  instances: z.array(instanceStatusSchema),
  uptimeSeconds: z.number().int(),
  startedAt: isoTime,
  version: z.string(),
})
export type StatusView = z.infer<typeof statusViewSchema>

export function emptyStatusCounts(): Record<(typeof KEY_STATUSES)[number], number> {
  return { active: 0, cooling: 0, insufficient: 0, invalid: 0, error: 0, disabled: 0 }
}
