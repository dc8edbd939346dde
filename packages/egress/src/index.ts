export {
  createEgressService,
  type EgressServiceDeps,
  type EgressSettings,
} from './create-egress-service.js'
export { createEgressDispatcher, type EgressRoute } from './dispatchers.js'
export { directIdentity, directOwner, proxyIdentity } from './egress-boot.js'
export type { EgressCheckOutcome } from './egress-check.js'
export { DOWN_FIRST_MS, DOWN_MAX_MS, downBackoffMs } from './egress-states.js'
export * from './errors.js'
export { default as egressPlugin, type EgressPluginOptions, egressSettings } from './plugin.js'
export { errorCodeOf, transportFailure } from './transport-failure.js'
export type * from './types.js'
export { BEFORE_SEND, isWayOutFailure, markErrorsBeforeSend, wayOutExplanation } from './way-out.js'
