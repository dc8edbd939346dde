import type { StatusView } from '@sfp/schemas'

/**
 * Who drives an egress lane in cluster mode (docs/behaviour.md §9): only the instance holding a
 * lane's lease sends through it, so a lane's slots and in-flight figures are that instance's.
 */
export type LaneDriver =
  | { kind: 'self'; instanceId: string }
  | { kind: 'other'; instanceId: string }
  | { kind: 'nobody' }

/**
 * The driver of a lane whose `drivenBy` is given; null in single mode, where the one process
 * drives every lane and there is nothing to tell apart.
 */
export function laneDriver(
  status: Pick<StatusView, 'mode' | 'instances'>,
  drivenBy: string | null,
): LaneDriver | null {
  if (status.mode !== 'cluster') return null
  if (drivenBy === null) return { kind: 'nobody' }
  const self = status.instances.some((instance) => instance.self && instance.id === drivenBy)
  return { kind: self ? 'self' : 'other', instanceId: drivenBy }
}

/**
 * Every lane's driver by egress id, from the live status; null in single mode (or before the
 * first status). A lane missing here (an egress added moments ago) has no known driver yet.
 */
export function laneDrivers(status: StatusView | null): ReadonlyMap<number, LaneDriver> | null {
  if (status === null || status.mode !== 'cluster') return null
  const drivers = new Map<number, LaneDriver>()
  for (const lane of status.egresses) {
    const driver = laneDriver(status, lane.drivenBy)
    if (driver !== null) drivers.set(lane.id, driver)
  }
  return drivers
}
