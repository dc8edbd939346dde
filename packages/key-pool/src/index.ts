export type { KeyCheck } from './balance-client.js'
export { createKeyPool, type KeyPoolDeps, type KeyPoolSettings } from './create-key-pool.js'
export {
  CheckNotNeeded,
  EncryptionKeyMismatch,
  EncryptionKeyMissing,
  KeyNotFound,
} from './errors.js'
export { KEY_MAX_LENGTH, KEY_MIN_LENGTH, parseKeyList } from './import-parser.js'
export {
  createAesKeyCipher,
  isSealed,
  type KeyCipher,
  plainKeyCipher,
} from './key-cipher.js'
export type { KeyPoolStorage } from './key-store.js'
export {
  BALANCE_CHECK_TIMEOUT_MS,
  default as keyPoolPlugin,
  type KeyPoolPluginOptions,
  keyPoolSettings,
} from './plugin.js'
export { isUsable } from './selection.js'
export type * from './types.js'
export { toKeyEventView, toKeyView } from './views.js'
