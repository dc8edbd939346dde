export type { LaneFence } from '../storage.js'

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
