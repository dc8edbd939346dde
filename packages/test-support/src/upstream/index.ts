export { type Answer, ERRORS } from './answer.js'
export { replyWords, usageOf } from './chat.js'
export { type EchoedRequest, echoOf } from './echo.js'
export {
  InvariantMonitor,
  type InvariantOptions,
  type InvariantViolations,
  type Violation,
  type ViolationKind,
} from './invariant-monitor.js'
export { MODELS } from './models.js'
export {
  type ExchangeTiming,
  type MockUpstream,
  type MockUpstreamOptions,
  startMockUpstream,
} from './server.js'
export type * from './types.js'
