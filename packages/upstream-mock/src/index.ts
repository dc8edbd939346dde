export { type Answer, ERRORS } from './answer.js'
export { replyWords, usageOf } from './chat.js'
export { MODELS } from './models.js'
export {
  type ExchangeTiming,
  type MockUpstream,
  type MockUpstreamOptions,
  startMockUpstream,
} from './server.js'
export type * from './types.js'
