/**
 * How the shared (proxy) lanes are spread over the live instances (docs/behaviour.md §9),
 * computed the same way by every instance from what the lease table says, so that they agree
 * without talking to each other.
 *
 * Counts, not a fixed mapping: with n lanes and k instances each gets floor(n/k) or
 * ceil(n/k) lanes, and a lane stays with the instance that holds it whenever the counts allow.
 * A mapping computed from the sorted ids alone (lane i to instance i mod k) would move most
 * lanes whenever an instance joins or leaves; here a join moves only the lanes the newcomer
 * takes, a departure only the departed instance's lanes. Every move costs a drain (the lane's
 * in-flight requests finish first) and a pause of that lane, so fewer moves is less disruption.
 *
 * 1. The instances holding the most lanes get the ceil quotas (the remainder n mod k), ties by
 *    id; the others floor.
 * 2. Each live instance keeps its lowest-numbered held lanes up to its quota; the rest are
 *    handed over.
 * 3. Lanes held by no live instance, and those handed over, are dealt in ascending order to the
 *    instances below their quota, in id order.
 */
export interface FairShareInput {
  /** The shared lanes' egress ids. */
  lanes: readonly number[]
  /** The live instances' ids; the caller's own id must be among them. */
  live: readonly string[]
  /** The holder of each shared lane whose lease is unexpired. */
  holders: ReadonlyMap<number, string>
}

/** The lanes each live instance should hold, ascending, keyed by instance id. */
export function shareLanes({ lanes, live, holders }: FairShareInput): Map<string, number[]> {
  const sortedLanes = [...new Set(lanes)].sort((a, b) => a - b)
  const instances = [...new Set(live)].sort()
  const assignment = new Map<string, number[]>(instances.map((id) => [id, []]))
  if (instances.length === 0) return assignment

  const held = new Map<string, number[]>(instances.map((id) => [id, []]))
  const unheld: number[] = []
  for (const lane of sortedLanes) {
    const holder = holders.get(lane)
    const mine = holder === undefined ? undefined : held.get(holder)
    if (mine === undefined) unheld.push(lane)
    else mine.push(lane)
  }

  const floor = Math.floor(sortedLanes.length / instances.length)
  const remainder = sortedLanes.length % instances.length
  const byHoldings = [...instances].sort(
    (a, b) => heldCount(held, b) - heldCount(held, a) || compare(a, b),
  )
  const quota = new Map(byHoldings.map((id, rank) => [id, floor + (rank < remainder ? 1 : 0)]))

  const free = [...unheld]
  for (const id of instances) {
    const lanesHeld = held.get(id) ?? []
    const keep = quota.get(id) ?? 0
    assignment.set(id, lanesHeld.slice(0, keep))
    free.push(...lanesHeld.slice(keep))
  }
  free.sort((a, b) => a - b)
  for (const id of instances) {
    const mine = assignment.get(id) ?? []
    const keep = quota.get(id) ?? 0
    while (mine.length < keep && free.length > 0) mine.push(free.shift() as number)
    mine.sort((a, b) => a - b)
  }
  return assignment
}

function heldCount(held: Map<string, number[]>, id: string): number {
  return held.get(id)?.length ?? 0
}

/** Code-unit order, the same on every host whatever its locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
