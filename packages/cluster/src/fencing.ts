import { type SQL, sql } from 'drizzle-orm'

/**
 * The lease a write is made under: a write on a lane's behalf (its key binding, its switch-guard
 * memory on `egresses`) carries it, and applies only while the lease row still names this holder
 * and token (docs/behaviour.md §9). A holder that stalled past its lease (a long pause, a
 * partition) and wakes up after another instance took the lane over finds the token moved on,
 * and its late write changes nothing, instead of overwriting the new holder's state.
 */
export interface LaneFence {
  egressId: number
  instanceId: string
  token: number
}

/**
 * The condition a fenced statement adds to its `WHERE`. `FOR SHARE` locks the lease row for the
 * statement's transaction: a takeover running at the same moment either commits first (and the
 * condition, re-checked against the new row, is false) or waits until the write is done, so a
 * write cannot slip in just after the lane changed hands.
 */
const FENCE_CONDITION = (egressId: string, holder: string, token: string) =>
  `EXISTS (SELECT 1 FROM lane_leases WHERE egress_id = ${egressId} ` +
  `AND holder_instance_id = ${holder} AND fencing_token = ${token} FOR SHARE)`

/**
 * The fence as raw SQL for a statement with positional parameters: the condition's parameters
 * are `$first`, `$first + 1` and `$first + 2`, and `values` go after the statement's own.
 *
 * ```ts
 * const fence = fenceClause(lease, values.length + 1)
 * await pool.query(`UPDATE egresses SET guard_key_id = $1 WHERE id = $2 AND ${fence.condition}`,
 *   [...values, ...fence.values])
 * ```
 * A refused write updates no row (`rowCount` 0).
 */
export function fenceClause(
  fence: LaneFence,
  first: number,
): { condition: string; values: [number, string, number] } {
  return {
    condition: FENCE_CONDITION(`$${first}`, `$${first + 1}`, `$${first + 2}`),
    values: [fence.egressId, fence.instanceId, fence.token],
  }
}

/** The fence as a drizzle fragment, for `.where(and(eq(egresses.id, id), fenced(lease)))`. */
export function fenced(fence: LaneFence): SQL {
  return sql`EXISTS (SELECT 1 FROM lane_leases WHERE egress_id = ${fence.egressId} AND holder_instance_id = ${fence.instanceId} AND fencing_token = ${fence.token} FOR SHARE)`
}
