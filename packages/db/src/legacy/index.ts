export {
  dismissLegacyImport,
  importLegacyDatabase,
  LEGACY_CLIENT_KEY_NAME,
  LEGACY_IMPORT_SETTING,
  type LegacyImportDeps,
  legacyImportPending,
  readLegacyImport,
} from './legacy-import.js'
export {
  activeLegacyBlock,
  legacyProxyLabel,
  mapLegacyKeys,
  mapLegacyProxies,
  maskLegacyKey,
  parseLegacyTime,
} from './legacy-mapper.js'
export { hasLegacyTables, readLegacyDatabase } from './legacy-reader.js'
