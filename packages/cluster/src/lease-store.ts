import { DATABASE_NOW_MS as NOW, type Queryable, timedQuery } from './database-time.js'

/** A lease this instance holds: its lane and the fencing token it was taken under. */
export interface HeldLease {
  egressId: number
  token: number
}

/**
 * The `lane_leases` statements of one instance (packages/db `src/pg/schema.ts`). Every expiry is
 * written and compared in the database's time (`DATABASE_NOW_MS`); each statement is one
 * round trip whatever the number of lanes.
 */
export interface LeaseStore {
  /** Pushes the expiry of these leases one lease past now; returns those still this instance's. */
  renew(leases: readonly HeldLease[]): Promise<Set<number>>
  /**
   * Takes the lanes that have no lease yet or whose lease has expired (from any holder, this
   * instance included), increasing the fencing token of a row taken over in place. Returns the
   * lanes taken with their tokens; lanes still held by someone, or whose egress no longer
   * exists, are left out.
   */
  acquire(egressIds: readonly number[]): Promise<Map<number, number>>
  /** Expires these leases now (`expires_at = 0`), keeping their tokens. */
  release(leases: readonly HeldLease[]): Promise<void>
  /** The holder of each of these lanes whose lease is unexpired. */
  holders(egressIds: readonly number[]): Promise<Map<number, string>>
}

export interface LeaseStoreOptions {
  pool: Queryable
  instanceId: string
  leaseMs: number
  statementTimeoutMs: number
}

export function createLeaseStore({
  pool,
  instanceId,
  leaseMs,
  statementTimeoutMs,
}: LeaseStoreOptions): LeaseStore {
  const run = (text: string, values: unknown[]) =>
    pool.query(timedQuery(text, values, statementTimeoutMs))
  const ids = (leases: readonly HeldLease[]) => leases.map((lease) => lease.egressId)
  const tokens = (leases: readonly HeldLease[]) => leases.map((lease) => lease.token)

  return {
    async renew(leases) {
      if (leases.length === 0) return new Set()
      const { rows } = await run(
        `UPDATE lane_leases AS l SET expires_at = ${NOW} + $3
         FROM unnest($1::int[], $2::bigint[]) AS held(egress_id, token)
         WHERE l.egress_id = held.egress_id AND l.fencing_token = held.token
           AND l.holder_instance_id = $4
         RETURNING l.egress_id`,
        [ids(leases), tokens(leases), leaseMs, instanceId],
      )
      return new Set(rows.map((row) => (row as { egress_id: number }).egress_id))
    },

    async acquire(egressIds) {
      if (egressIds.length === 0) return new Map()
      // Selecting from egresses skips a lane deleted since the caller listed it, instead of
      // failing the whole statement on the foreign key. A row taken over keeps counting up.
      const { rows } = await run(
        `INSERT INTO lane_leases (egress_id, holder_instance_id, fencing_token, expires_at)
         SELECT e.id, $2, 1, ${NOW} + $3 FROM egresses e WHERE e.id = ANY($1::int[])
         ON CONFLICT (egress_id) DO UPDATE SET
           holder_instance_id = excluded.holder_instance_id,
           fencing_token = lane_leases.fencing_token + 1,
           expires_at = excluded.expires_at
         WHERE lane_leases.expires_at <= ${NOW}
         RETURNING egress_id, fencing_token`,
        [[...egressIds], instanceId, leaseMs],
      )
      return new Map(
        rows.map((row) => {
          const { egress_id, fencing_token } = row as { egress_id: number; fencing_token: string }
          return [egress_id, Number(fencing_token)]
        }),
      )
    },

    async release(leases) {
      if (leases.length === 0) return
      await run(
        `UPDATE lane_leases AS l SET expires_at = 0
         FROM unnest($1::int[], $2::bigint[]) AS held(egress_id, token)
         WHERE l.egress_id = held.egress_id AND l.fencing_token = held.token
           AND l.holder_instance_id = $3`,
        [ids(leases), tokens(leases), instanceId],
      )
    },

    async holders(egressIds) {
      if (egressIds.length === 0) return new Map()
      const { rows } = await run(
        `SELECT egress_id, holder_instance_id FROM lane_leases
         WHERE egress_id = ANY($1::int[]) AND expires_at > ${NOW}`,
        [[...egressIds]],
      )
      return new Map(
        rows.map((row) => {
          const lease = row as { egress_id: number; holder_instance_id: string }
          return [lease.egress_id, lease.holder_instance_id]
        }),
      )
    },
  }
}
