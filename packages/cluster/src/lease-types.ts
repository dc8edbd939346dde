import type { Clock } from '@sfp/runtime'
import type { Queryable } from './database-time.js'
import type { LaneFence } from './fencing.js'
import type { ClusterInstance } from './instance-registry.js'

/** The lanes this instance may drive, as the egress service knows them now. */
export interface LaneSets {
  /** Lanes only this instance drives: its own `direct` egress. */
  own: readonly number[]
  /** Lanes shared out among the live instances: the proxies. */
  shared: readonly number[]
}

/** What changed in the lanes this instance may send through, told once per change. */
export interface LaneChange {
  /** Usable now: a lease taken, or renewed again after it lapsed. */
  gained: number[]
  /** Handed to another instance: send nothing new; `drain` was called for each. */
  draining: number[]
  /**
   * Not renewed in time (the database unreachable) or found taken over: stop at once and cut
   * what is still in flight, before another instance may start on the lane.
   */
  lapsed: number[]
  /** Hand-over finished: drained, and the lease released. */
  released: number[]
}

export interface LeaseManagerOptions {
  /** The handle's pool (`PostgresHandle.pool`). */
  pool: Queryable
  instanceId: string
  /** Where this instance listens (host:port), shown in the cluster's list of instances. */
  address?: string | null | undefined
  /** LEASE_SECONDS in milliseconds; renewed every third of it. */
  leaseMs: number
  /** Drives the local timers and the local deadline; the shared expiry is the database's. */
  clock: Clock
  lanes: () => LaneSets
  /**
   * Resolves when the lane's in-flight requests are done. `signal` aborts when `drainTimeoutMs`
   * has passed: cut what remains, the lease is released right after.
   */
  drain?: ((egressId: number, signal: AbortSignal) => Promise<void>) | undefined
  /** Bound of one drain; defaults to one lease. */
  drainTimeoutMs?: number | undefined
  /**
   * How long before the lease's computed end this instance stops using it: room for a check of
   * `holds()` to turn into bytes on the wire and for `lapsed` to cut requests. Defaults to a
   * fifth of a lease; must stay under two thirds, or a lease lapses between two renewals.
   */
  safetyMarginMs?: number | undefined
  onChange?: ((change: LaneChange) => void) | undefined
  /** Each successful renewal's round trip in ms, sent to answered (the bench's renewal latency). */
  onRenewed?: ((roundTripMs: number) => void) | undefined
  /** Failed rounds and releases (the database unreachable, most likely). Never secrets. */
  onError?: ((error: unknown) => void) | undefined
  /**
   * A lane's drain that failed: its in-flight requests are not waited for any longer and the
   * lane is released all the same. Not the database's doing; without it, `onError` hears it.
   */
  onDrainError?: ((error: unknown, egressId: number) => void) | undefined
}

export interface LeaseManager {
  /** Registers the instance (refusing a duplicate INSTANCE_ID), takes its lanes, starts renewing. */
  start(): Promise<void>
  /** Synchronous: may this instance send through this lane now? */
  holds(egressId: number): boolean
  /** The fencing token of a lease not yet past its local deadline (draining included). */
  token(egressId: number): number | undefined
  /** The fence for writes made on the lane's behalf (`fenceClause`, `fenced`). */
  fence(egressId: number): LaneFence | undefined
  /** The lanes `holds()` is true for, ascending. */
  held(): number[]
  /** Runs a round now (lanes added or removed); resolves when it is done. Never rejects. */
  rebalance(): Promise<void>
  /** The live instances and their lanes, for `/status`. */
  instances(): Promise<ClusterInstance[]>
  /** Hands every lane over (drained, released), then removes this instance's row. */
  stop(): Promise<void>
}
