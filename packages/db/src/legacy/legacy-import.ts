import {
  LEGACY_TABLES_NOT_IMPORTED,
  type LegacyImportNote,
  type LegacyImportSummary,
  legacyImportSummarySchema,
  maskSecret,
  type ParsedProxyUrl,
} from '@sfp/schemas'
import type Database from 'better-sqlite3'
import { createClientKeysRepository } from '../client-keys-repository.js'
import type { DatabaseHandle } from '../database.js'
import { createEgressesRepository } from '../egresses-repository.js'
import { createKeyEventsRepository } from '../key-events-repository.js'
import type { NewEgressRow, NewUpstreamKeyRow } from '../schema.js'
import { createUpstreamKeysRepository } from '../upstream-keys-repository.js'
import { activeLegacyBlock, mapLegacyKeys, mapLegacyProxies } from './legacy-mapper.js'
import { hasLegacyTables, readLegacyDatabase } from './legacy-reader.js'

/**
 * Where the import is recorded, in `settings` (written with SQL of its own: these names are the
 * import's, not the settings store's).
 */
export const LEGACY_IMPORT_SETTING = {
  /** The summary, as JSON: its presence is what makes the import happen once. */
  summary: 'legacy_import.summary',
  /** Set when the admin has dismissed the dashboard's notice. */
  dismissed: 'legacy_import.dismissed',
} as const

/** The name of the client key made from the old ADMIN_PASSWORD. */
export const LEGACY_CLIENT_KEY_NAME = 'siliconflowProxy'

const IMPORTED_REASON = 'imported from siliconflowProxy'
const IMPORTED = { code: 'imported_from_legacy', params: {} } as const
/** How `activeLegacyBlock` begins a block's reason, before the old program's own words. */
const LEGACY_BLOCK_PREFIX = /^siliconflowProxy IP block(?:: )?/
/** A broken table must not make a summary of megabytes. */
const MAX_NOTES = 200

export interface LegacyImportDeps {
  /** How upstream keys and proxy passwords are stored: the key pool's cipher, as for the dashboard. */
  cipher: { seal(text: string): string; fingerprint(key: string): string }
  /** Why our key rules refuse a key (undefined: accepted): the key pool's own rules. */
  refuseKey(key: string): string | undefined
  /** What makes two egresses the same IP (the egress package's rule). */
  proxyIdentity(proxy: ParsedProxyUrl): string
  /** The built-in direct egress: whether EGRESS_DIRECT is on, and the identity it has. */
  direct: { enabled: boolean; localAddress: string | null; identity: string }
  /**
   * ADMIN_PASSWORD as a client key, hashed by the client-keys plugin; `refused` when it cannot
   * be one; undefined when ADMIN_PASSWORD is not set.
   */
  clientKey?: { keyHash: string; prefix: string } | { refused: string } | undefined
  /** KEY_ERROR_COOLDOWN_MINUTES in milliseconds. */
  errorCooldownMs: number
  now: number
  via: LegacyImportSummary['via']
}

function readSetting(sqlite: Database.Database, name: string): string | undefined {
  const row = sqlite.prepare('SELECT value FROM settings WHERE name = ?').get(name) as
    | { value: string }
    | undefined
  return row?.value
}

function writeSetting(sqlite: Database.Database, name: string, value: string, now: number): void {
  sqlite
    .prepare(
      `INSERT INTO settings (name, value, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    )
    .run(name, value, now)
}

/** The last import's summary, or undefined (none, or a record this version cannot read). */
export function readLegacyImport(
  handle: DatabaseHandle,
): { summary: LegacyImportSummary; dismissed: boolean } | undefined {
  const raw = readSetting(handle.sqlite, LEGACY_IMPORT_SETTING.summary)
  if (raw === undefined) return undefined
  let summary: LegacyImportSummary
  try {
    const parsed = legacyImportSummarySchema.safeParse(JSON.parse(raw))
    if (!parsed.success) return undefined
    summary = parsed.data
  } catch {
    return undefined
  }
  const dismissed = readSetting(handle.sqlite, LEGACY_IMPORT_SETTING.dismissed) !== undefined
  return { summary, dismissed }
}

/** The admin has seen the notice; false when there was no import to dismiss. */
export function dismissLegacyImport(handle: DatabaseHandle, now = Date.now()): boolean {
  if (readSetting(handle.sqlite, LEGACY_IMPORT_SETTING.summary) === undefined) return false
  writeSetting(handle.sqlite, LEGACY_IMPORT_SETTING.dismissed, new Date(now).toISOString(), now)
  return true
}

/**
 * Whether the boot should import: the file holds the old tables, no import was recorded, and our
 * pool is empty (keys there mean this database is already in use: nothing is mixed into it).
 */
export function legacyImportPending(handle: DatabaseHandle): boolean {
  const { sqlite } = handle
  if (!hasLegacyTables(sqlite)) return false
  if (readSetting(sqlite, LEGACY_IMPORT_SETTING.summary) !== undefined) return false
  const { keys } = sqlite.prepare('SELECT count(*) AS keys FROM upstream_keys').get() as {
    keys: number
  }
  return keys === 0
}

/**
 * Import the old tables of `source` into `target` in one transaction and record it with its
 * summary. `source` may be `target`'s own connection (the old tables in DATA_DIR's file) or
 * another file opened read-only: it is only read, and `api_usage` / `proxy_state` not even that.
 * Keys already in the pool (same fingerprint) and egresses already there (same identity) are
 * counted or noted, not added again.
 */
export function importLegacyDatabase(
  target: DatabaseHandle,
  source: Database.Database,
  deps: LegacyImportDeps,
): LegacyImportSummary {
  const { now } = deps
  const snapshot = readLegacyDatabase(source)
  const mappedKeys = mapLegacyKeys(snapshot.keys, {
    refuseKey: deps.refuseKey,
    now,
    errorCooldownMs: deps.errorCooldownMs,
  })
  const mappedProxies = mapLegacyProxies(snapshot.proxies)
  const { block, expired } = activeLegacyBlock(snapshot.blocks, now)
  const notes: LegacyImportNote[] = [...mappedKeys.notes, ...mappedProxies.notes]

  const { db, sqlite } = target
  const upstreamKeys = createUpstreamKeysRepository(db)
  const keyEvents = createKeyEventsRepository(db)
  const egresses = createEgressesRepository(db)
  const clientKeys = createClientKeysRepository(db)

  const run = sqlite.transaction((): LegacyImportSummary => {
    const rows: NewUpstreamKeyRow[] = mappedKeys.keys.map((key) => ({
      secret: deps.cipher.seal(key.key),
      fingerprint: deps.cipher.fingerprint(key.key),
      maskedKey: maskSecret(key.key),
      status: key.status,
      callCount: key.callCount,
      errorCount: key.errorCount,
      lastError: key.lastError,
      lastUsedAt: key.lastUsedAt,
      cooldownUntil: key.cooldownUntil,
      createdAt: key.createdAt ?? now,
      updatedAt: now,
    }))
    const inserted = upstreamKeys.insertMany(rows)
    keyEvents.appendMany(
      inserted.map((row) => ({
        time: now,
        keyId: row.id,
        type: 'added' as const,
        toStatus: row.status,
        reason: IMPORTED_REASON,
        explanation: IMPORTED,
      })),
    )
    const byStatus = { active: 0, insufficient: 0, error: 0, disabled: 0 }
    for (const row of inserted) {
      if (row.status in byStatus) byStatus[row.status as keyof typeof byStatus] += 1
    }

    const identities = new Set(egresses.all().map((row) => row.identity))
    let egressesImported = 0
    let egressesEnabled = 0
    for (const { rowId, proxy, enabled, label } of mappedProxies.proxies) {
      const identity = deps.proxyIdentity(proxy)
      const item = `${proxy.scheme}://${proxy.host}:${proxy.port}`
      if (identities.has(identity)) {
        notes.push({
          table: 'proxy_config',
          rowId,
          item,
          code: 'proxy_duplicate',
          reason: 'an egress with this scheme, host and port is already there',
          imported: false,
        })
        continue
      }
      const row: NewEgressRow = {
        kind: proxy.kind,
        scheme: proxy.scheme,
        host: proxy.host,
        port: proxy.port,
        username: proxy.username,
        password: proxy.password === null ? null : deps.cipher.seal(proxy.password),
        identity,
        label,
        enabled,
        createdAt: now,
        updatedAt: now,
      }
      if (egresses.insert(row) === undefined) continue
      identities.add(identity)
      egressesImported += 1
      if (enabled) egressesEnabled += 1
    }

    let directBlock: LegacyImportSummary['directBlock'] = null
    if (block !== null && !deps.direct.enabled) {
      notes.push({
        table: 'ip_blacklist',
        rowId: block.rowId,
        item: `until ${new Date(block.until).toISOString()}`,
        code: 'block_without_direct',
        reason: 'EGRESS_DIRECT=false: there is no direct egress to block',
        imported: false,
      })
    } else if (block !== null) {
      const blocked = {
        state: 'blocked' as const,
        stateReason: block.reason,
        // The old program's own words stay a param: the dashboard translates the sentence around them.
        stateExplanation: {
          code: 'egress_blocked_legacy' as const,
          params: { detail: block.reason.replace(LEGACY_BLOCK_PREFIX, '') || null },
        },
        blockedUntil: block.until,
        updatedAt: now,
      }
      const all = egresses.all()
      // The egress plugin makes the built-in direct egress at its first boot, after this import;
      // a row with its identity made here is the one it adopts (and keeps the block on).
      const direct =
        all.find((row) => row.builtin) ?? all.find((row) => row.identity === deps.direct.identity)
      if (direct) egresses.update(direct.id, blocked)
      else {
        egresses.insert({
          kind: 'direct',
          scheme: 'direct',
          localAddress: deps.direct.localAddress,
          identity: deps.direct.identity,
          createdAt: now,
          ...blocked,
        })
      }
      directBlock = { until: new Date(block.until).toISOString(), reason: block.reason }
    }

    let clientKey: LegacyImportSummary['clientKey'] = null
    const given = deps.clientKey
    if (given !== undefined && 'refused' in given) {
      notes.push({
        table: 'ADMIN_PASSWORD',
        rowId: null,
        item: 'ADMIN_PASSWORD',
        code: 'client_key_too_short',
        reason: given.refused,
        imported: false,
      })
    } else if (given !== undefined) {
      const existing = clientKeys.findByHash(given.keyHash)
      if (existing) {
        notes.push({
          table: 'ADMIN_PASSWORD',
          rowId: null,
          item: existing.prefix,
          code: 'client_key_exists',
          reason: `already the client key "${existing.name}"`,
          imported: false,
        })
      } else {
        const row = clientKeys.insert({
          name: LEGACY_CLIENT_KEY_NAME,
          keyHash: given.keyHash,
          prefix: given.prefix,
          createdAt: now,
          origin: 'siliconflowProxy',
        })
        clientKey = { id: row.id, name: row.name }
      }
    }

    const summary: LegacyImportSummary = {
      via: deps.via,
      importedAt: new Date(now).toISOString(),
      keys: {
        found: snapshot.keys.length,
        imported: inserted.length,
        byStatus,
        duplicates:
          rows.length -
          inserted.length +
          mappedKeys.notes.filter((note) => note.code === 'duplicate_key').length,
      },
      egresses: {
        found: snapshot.proxies.length,
        imported: egressesImported,
        enabled: egressesEnabled,
      },
      directBlock,
      expiredBlocks: expired,
      clientKey,
      notes: notes.slice(0, MAX_NOTES),
      notesNotListed: Math.max(0, notes.length - MAX_NOTES),
      notImported: [...LEGACY_TABLES_NOT_IMPORTED],
    }
    writeSetting(sqlite, LEGACY_IMPORT_SETTING.summary, JSON.stringify(summary), now)
    sqlite.prepare('DELETE FROM settings WHERE name = ?').run(LEGACY_IMPORT_SETTING.dismissed)
    return summary
  })
  return run()
}
