/**
 * `@sfp/cluster`: cluster mode on PostgreSQL (docs/behaviour.md §9): the instance registry, lane
 * leases with fencing, and the change bus. What the server wires is in this package's README.
 */
export {
  type ChangeBus,
  type ChangeBusOptions,
  type ChangeMessage,
  changeChannel,
  createChangeBus,
  NOTIFY_PAYLOAD_LIMIT,
  type ResyncReason,
} from './change-bus.js'
export { DATABASE_NOW_MS } from './database-time.js'
export {
  DuplicateInstanceError,
  InstanceSupersededError,
  NotificationTooLargeError,
} from './errors.js'
export { type FairShareInput, shareLanes } from './fair-share.js'
export { fenceClause, fenced, type LaneFence } from './fencing.js'
export {
  type ClusterInstance,
  createInstanceRegistry,
  type InstanceRegistry,
  type InstanceRegistryOptions,
} from './instance-registry.js'
export { createLeaseManager } from './lease-manager.js'
export { createLeaseStore, type HeldLease, type LeaseStore } from './lease-store.js'
export type { LaneChange, LaneSets, LeaseManager, LeaseManagerOptions } from './lease-types.js'
