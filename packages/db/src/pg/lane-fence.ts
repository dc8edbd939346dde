/**
 * The lease a write is made under (docs/behaviour.md §9): a write on a lane's behalf (its
 * switch-guard memory on `egresses`) carries it, and applies only while the lease row still
 * names this holder and token. A holder that stalled past its lease (a long pause, a partition)
 * and wakes up after another instance took the lane over finds the token moved on, and its late
 * write changes nothing, instead of overwriting the new holder's state.
 */
export interface LaneFence {
  egressId: number
  instanceId: string
  token: number
}

/**
 * The condition a fenced statement adds to its `WHERE`, over three placeholders (egress id,
 * holder, token). `FOR SHARE` locks the lease row for the statement's transaction: a takeover
 * running at the same moment either commits first (and the condition, re-checked against the
 * new row, is false) or waits until the write is done, so a write cannot slip in just after the
 * lane changed hands.
 */
export const fenceCondition = (egressId: string, holder: string, token: string): string =>
  `EXISTS (SELECT 1 FROM lane_leases WHERE egress_id = ${egressId} ` +
  `AND holder_instance_id = ${holder} AND fencing_token = ${token} FOR SHARE)`
