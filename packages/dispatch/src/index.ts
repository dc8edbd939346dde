export { createDispatch, type DispatchDeps, type DispatchService } from './dispatch.js'
export * from './errors.js'
export { decideKey, type KeyDecision, type RefusalCode } from './key-chooser.js'
export {
  type DispatchDatabase,
  type DispatchPluginOptions,
  default,
  default as dispatchPlugin,
  parseDispatchOptions,
} from './plugin.js'
export { createSlotGate, type SetTimer, type SlotGate, type SlotGateOptions } from './slot-gate.js'
export {
  createSwitchGuard,
  type SwitchGuardMemory,
  type SwitchGuardOptions,
  type SwitchGuardService,
  type SwitchVerdict,
} from './switch-guard.js'
export type * from './types.js'
export { withSlot } from './with-slot.js'
