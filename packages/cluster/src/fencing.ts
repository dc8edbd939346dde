import { fenceCondition, type LaneFence } from '@sfp/db/pg'
import { type SQL, sql } from 'drizzle-orm'

export type { LaneFence }

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
    condition: fenceCondition(`$${first}`, `$${first + 1}`, `$${first + 2}`),
    values: [fence.egressId, fence.instanceId, fence.token],
  }
}

/** The fence as a drizzle fragment, for `.where(and(eq(egresses.id, id), fenced(lease)))`. */
export function fenced(fence: LaneFence): SQL {
  const condition = fenceCondition('$EGRESS', '$HOLDER', '$TOKEN')
  const [before, afterEgress] = condition.split('$EGRESS') as [string, string]
  const [middle, afterHolder] = afterEgress.split('$HOLDER') as [string, string]
  const [last, end] = afterHolder.split('$TOKEN') as [string, string]
  return sql.join([
    sql.raw(before),
    sql`${fence.egressId}`,
    sql.raw(middle),
    sql`${fence.instanceId}`,
    sql.raw(last),
    sql`${fence.token}`,
    sql.raw(end),
  ])
}
