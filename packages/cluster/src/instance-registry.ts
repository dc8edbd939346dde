import type { Clock } from '@sfp/runtime'
import { DATABASE_NOW_MS as NOW, type Queryable, timedQuery } from './database-time.js'
import { DuplicateInstanceError, InstanceSupersededError } from './errors.js'

/** An instance of the cluster as `/status` shows it (docs/behaviour.md §9). */
export interface ClusterInstance {
  id: string
  /** Where it listens (host:port), for the dashboard; null when unknown. */
  address: string | null
  startedAt: number
  lastSeenAt: number
  /** The egress ids it holds an unexpired lease on, ascending. */
  lanes: number[]
}

export interface InstanceRegistryOptions {
  pool: Queryable
  instanceId: string
  address?: string | null | undefined
  /** One lease: a row not seen for that long is an instance that is gone. */
  leaseMs: number
  /** Waits out a crashed predecessor at `register()`. */
  clock: Clock
  /** Read timeout of each statement; defaults to a third of a lease. */
  statementTimeoutMs?: number | undefined
}

export interface InstanceRegistry {
  /**
   * Writes this instance's row. A row of the same id seen within the last lease may be a
   * process that just crashed (a container restarted at once) or one still running: the row
   * is waited out for one lease, and if it was seen again meanwhile the start is refused with
   * `DuplicateInstanceError`.
   */
  register(): Promise<void>
  /**
   * Moves `last_seen_at` to the database's now (writing the row again if it was removed).
   * Throws `InstanceSupersededError` when another process has claimed the id since.
   */
  heartbeat(): Promise<void>
  /** Ids of the instances seen within the last lease, this one included once registered. */
  liveIds(): Promise<string[]>
  /** The live instances with the lanes each holds, for `/status`. */
  describe(): Promise<ClusterInstance[]>
  /** Removes this instance's row (a clean stop), unless another process has claimed the id. */
  unregister(): Promise<void>
}

interface InstanceRow {
  id: string
  address: string | null
  started_at: string
  last_seen_at: string
  lanes: number[]
}

/** The `instances` table seen from one instance (packages/db `src/pg/schema.ts`). */
export function createInstanceRegistry({
  pool,
  instanceId,
  address = null,
  leaseMs,
  clock,
  statementTimeoutMs = Math.max(1, Math.floor(leaseMs / 3)),
}: InstanceRegistryOptions): InstanceRegistry {
  // The row this process wrote, told apart from another process's claim of the same id.
  let startedAt: number | undefined
  const run = (text: string, values: unknown[]) =>
    pool.query(timedQuery(text, values, statementTimeoutMs))

  /** Claims the row if it is free or its last holder is gone; the row's age when it is not. */
  async function claim(): Promise<{ claimed: true } | { claimed: false; seenAgoMs: number }> {
    const { rows } = await run(
      `INSERT INTO instances (id, address, started_at, last_seen_at)
       VALUES ($1, $2, ${NOW}, ${NOW})
       ON CONFLICT (id) DO UPDATE SET address = excluded.address,
         started_at = excluded.started_at, last_seen_at = excluded.last_seen_at
       WHERE instances.last_seen_at <= ${NOW} - $3
       RETURNING started_at`,
      [instanceId, address, leaseMs],
    )
    const row = rows[0] as { started_at: string } | undefined
    if (row !== undefined) {
      startedAt = Number(row.started_at)
      return { claimed: true }
    }
    const seen = await run(`SELECT ${NOW} - last_seen_at AS ago FROM instances WHERE id = $1`, [
      instanceId,
    ])
    return { claimed: false, seenAgoMs: Number((seen.rows[0] as { ago?: string })?.ago ?? 0) }
  }

  return {
    async register() {
      const first = await claim()
      if (first.claimed) return
      // Seen within a lease: wait until that sighting is a lease old, then try once more.
      await new Promise<void>((resolve) => clock.setTimer(resolve, leaseMs - first.seenAgoMs + 1))
      const second = await claim()
      if (!second.claimed) throw new DuplicateInstanceError(instanceId, second.seenAgoMs)
    },

    async heartbeat() {
      if (startedAt === undefined) throw new Error('heartbeat before register')
      const { rowCount } = await run(
        `INSERT INTO instances (id, address, started_at, last_seen_at)
         VALUES ($1, $2, $3, ${NOW})
         ON CONFLICT (id) DO UPDATE SET last_seen_at = excluded.last_seen_at
         WHERE instances.started_at = excluded.started_at`,
        [instanceId, address, startedAt],
      )
      if (rowCount === 0) throw new InstanceSupersededError(instanceId)
    },

    async liveIds() {
      const { rows } = await run(
        `SELECT id FROM instances WHERE last_seen_at > ${NOW} - $1 ORDER BY id`,
        [leaseMs],
      )
      return rows.map((row) => (row as { id: string }).id)
    },

    async describe() {
      const { rows } = await run(
        `SELECT i.id, i.address, i.started_at, i.last_seen_at,
           coalesce(array_agg(l.egress_id ORDER BY l.egress_id)
             FILTER (WHERE l.egress_id IS NOT NULL), '{}') AS lanes
         FROM instances i
         LEFT JOIN lane_leases l ON l.holder_instance_id = i.id AND l.expires_at > ${NOW}
         WHERE i.last_seen_at > ${NOW} - $1
         GROUP BY i.id ORDER BY i.id`,
        [leaseMs],
      )
      return (rows as InstanceRow[]).map((row) => ({
        id: row.id,
        address: row.address,
        startedAt: Number(row.started_at),
        lastSeenAt: Number(row.last_seen_at),
        lanes: row.lanes,
      }))
    },

    async unregister() {
      if (startedAt === undefined) return
      await run('DELETE FROM instances WHERE id = $1 AND started_at = $2', [instanceId, startedAt])
      startedAt = undefined
    },
  }
}
