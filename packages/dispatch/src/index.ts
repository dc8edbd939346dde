export { createDispatch, type DispatchDeps, type DispatchService } from './dispatch.js'
export * from './errors.js'
export { decideKey, type KeyDecision, type Refusal, type RefusalCode } from './key-chooser.js'
export {
  type DispatchPluginOptions,
  default,
  default as dispatchPlugin,
  dispatchSettings,
} from './plugin.js'
export { combineRefusals, type LaneRefusal } from './refusals.js'
export {
  createSwitchGuard,
  type GuardMemoryStore,
  type SwitchGuardMemory,
  type SwitchGuardOptions,
  type SwitchGuardService,
  type SwitchVerdict,
} from './switch-guard.js'
export type * from './types.js'
