import {
  type DatabaseHandle,
  importLegacyDatabase,
  type LegacyImportDeps,
  legacyImportPending,
  SETTING,
} from '@sfp/db'
import { directIdentity, proxyIdentity } from '@sfp/egress'
import {
  createAesKeyCipher,
  isSealed,
  type KeyCipher,
  parseKeyList,
  plainKeyCipher,
} from '@sfp/key-pool'
import type { Config, LegacyImportSummary } from '@sfp/schemas'
import fp from 'fastify-plugin'
import { importedClientKeyRecord } from './client-keys.js'

/** Shorter than this, the old ADMIN_PASSWORD is too weak to keep serving as a client key. */
export const IMPORTED_CLIENT_KEY_MIN_LENGTH = 8

/** How keys and proxy passwords are stored here: the key pool's cipher (README "Encryption at rest"). */
export function storageCipher(encryptionKey: string | undefined): KeyCipher {
  return encryptionKey === undefined ? plainKeyCipher : createAesKeyCipher(encryptionKey)
}

/** The key pool's rules for one key, as a reason (or undefined when the key is accepted). */
export function refuseKey(key: string): string | undefined {
  const parsed = parseKeyList(key)
  if (parsed.keys.length === 1 && parsed.keys[0] === key) return undefined
  return parsed.invalid[0]?.reason ?? 'not one key: spaces, commas or semicolons inside'
}

/**
 * Whether this database's stored secrets open with `cipher`. When they do not, the key pool or
 * the egress plugin refuses to boot right after with a message saying what to do; importing
 * under the wrong key first would seal the old keys with it.
 */
export function cipherFits(handle: DatabaseHandle, cipher: KeyCipher): boolean {
  const opens = (stored: string) => {
    try {
      cipher.open(stored)
      return true
    } catch {
      return false
    }
  }
  const check = cipher.encrypting
    ? handle.sqlite
        .prepare('SELECT value FROM settings WHERE name = ?')
        .get(SETTING.encryptionCheck)
    : undefined
  if (check !== undefined && !opens((check as { value: string }).value)) return false
  const secrets = handle.sqlite
    .prepare(
      'SELECT secret AS value FROM upstream_keys UNION ALL SELECT password FROM egresses WHERE password IS NOT NULL',
    )
    .all() as { value: string }[]
  return secrets.every(({ value }) => !isSealed(value) || opens(value))
}

/** Everything the import needs from the settings and the other packages. */
export function legacyImportDeps(
  config: Config,
  via: LegacyImportSummary['via'],
  now: number,
): LegacyImportDeps & { cipher: KeyCipher } {
  const localAddress = config.egressDirectAddress ?? null
  const password = config.adminPassword
  let clientKey: LegacyImportDeps['clientKey']
  if (password !== undefined && password !== '') {
    clientKey =
      password.length < IMPORTED_CLIENT_KEY_MIN_LENGTH
        ? {
            refused: `ADMIN_PASSWORD is shorter than ${IMPORTED_CLIENT_KEY_MIN_LENGTH} characters: not made a client key`,
          }
        : importedClientKeyRecord(password)
  }
  return {
    cipher: storageCipher(config.encryptionKey),
    refuseKey,
    proxyIdentity,
    direct: { enabled: config.egressDirect, localAddress, identity: directIdentity(localAddress) },
    clientKey,
    errorCooldownMs: config.keyErrorCooldownMinutes * 60_000,
    now,
    via,
  }
}

/** The info line: counts only, never a key, password or client secret. */
export function importLogFields(summary: LegacyImportSummary) {
  return {
    keys: summary.keys.imported,
    byStatus: summary.keys.byStatus,
    duplicates: summary.keys.duplicates,
    egresses: summary.egresses.imported,
    directBlocked: summary.directBlock !== null,
    clientKey: summary.clientKey !== null,
    notes: summary.notes.length + summary.notesNotListed,
  }
}

export interface LegacyImportPluginOptions {
  config: Config
}

/**
 * The old siliconflowProxy's tables in DATA_DIR's database (README "Moving from
 * siliconflowProxy"): imported once, in one transaction, before the key pool, the egresses and
 * the client keys read the database, and recorded with its summary so that no later boot imports
 * again. Registered right after `database`.
 */
export default fp<LegacyImportPluginOptions>(
  async (app, { config }) => {
    const { handle } = app.database
    // The old program's tables live in DATA_DIR's SQLite file, beside ours: with DATABASE_URL
    // they are not read (README "Moving from siliconflowProxy": import first, then move).
    if (handle === undefined || !legacyImportPending(handle)) return
    const deps = legacyImportDeps(config, 'boot', app.clock.now())
    if (!cipherFits(handle, deps.cipher)) {
      app.log.warn(
        'siliconflowProxy import postponed: stored secrets do not open with ENCRYPTION_KEY',
      )
      return
    }
    let summary: LegacyImportSummary
    try {
      summary = importLegacyDatabase(handle, handle.sqlite, deps)
    } catch (error) {
      // Rolled back whole: nothing half-imported, and the next boot tries again. The server still
      // starts, so the admin can read this line and the old tables stay as they were.
      app.log.error(
        { err: error },
        'siliconflowProxy import failed: nothing imported, retried at the next boot',
      )
      return
    }
    app.log.info(importLogFields(summary), 'imported the siliconflowProxy database')
  },
  { name: 'legacy-import', fastify: '5.x', dependencies: ['database'] },
)
