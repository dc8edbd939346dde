import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { legacyImportSummarySchema, type ParsedProxyUrl } from '@sfp/schemas'
import {
  LEGACY_CLIENT_SECRET_IN_USAGE,
  LEGACY_KEYS,
  LEGACY_PROXY_PASSWORD,
  legacyTablesDigest,
  legacyTime,
  typicalLegacyFixture,
  writeLegacyDatabase,
} from '@sfp/test-support/legacy'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { type DatabaseHandle, openDatabase } from '../src/database.js'
import {
  importLegacyDatabase,
  LEGACY_IMPORT_SETTING,
  type LegacyImportDeps,
  legacyImportPending,
  mapLegacyKeys,
  parseLegacyTime,
  readLegacyDatabase,
  readLegacyImport,
} from '../src/legacy/index.js'

const dirs: string[] = []
const handles: DatabaseHandle[] = []
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sfp-legacy-'))
  dirs.push(dir)
  return dir
}
afterEach(() => {
  for (const handle of handles.splice(0)) handle.close()
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

const NOW = Date.parse('2026-01-10T12:00:00Z')
const COOLDOWN_MS = 10 * 60_000

/** A stand-in for the key pool's cipher: visibly sealed, so a test sees it was applied. */
const testCipher = {
  seal: (text: string) => `sealed:${Buffer.from(text).toString('base64')}`,
  fingerprint: (key: string) => createHash('sha256').update(key).digest('hex'),
}

function deps(overrides: Partial<LegacyImportDeps> = {}): LegacyImportDeps {
  return {
    cipher: testCipher,
    refuseKey: (key) => (key.length < 8 ? 'too short (at least 8 characters)' : undefined),
    proxyIdentity: (proxy: ParsedProxyUrl) => `${proxy.kind}|${proxy.host}:${proxy.port}`,
    direct: { enabled: true, localAddress: null, identity: 'direct|*' },
    clientKey: { keyHash: 'hash-of-admin-password', prefix: 'ADMIN_PASSWORD' },
    errorCooldownMs: COOLDOWN_MS,
    now: NOW,
    via: 'boot',
    ...overrides,
  }
}

/** DATA_DIR's file holding the old tables, then migrated by our openDatabase (the boot case). */
function sharedFile(fixture = typicalLegacyFixture(NOW)): DatabaseHandle {
  const dataDir = tempDir()
  writeLegacyDatabase(join(dataDir, 'api_keys.db'), fixture)
  const handle = openDatabase({ dataDir })
  handles.push(handle)
  return handle
}

const keyRows = (handle: DatabaseHandle) =>
  handle.sqlite.prepare('SELECT * FROM upstream_keys ORDER BY id').all() as Record<
    string,
    unknown
  >[]
const egressRows = (handle: DatabaseHandle) =>
  handle.sqlite.prepare('SELECT * FROM egresses ORDER BY id').all() as Record<string, unknown>[]

describe('parseLegacyTime', () => {
  it('reads the old UTC text, ISO times and epoch numbers; anything else is null', () => {
    expect(parseLegacyTime('2025-03-02 10:00:00')).toBe(Date.parse('2025-03-02T10:00:00Z'))
    expect(parseLegacyTime('2025-03-02T10:00:00.000Z')).toBe(Date.parse('2025-03-02T10:00:00Z'))
    expect(parseLegacyTime(1_740_909_600)).toBe(1_740_909_600_000)
    expect(parseLegacyTime(1_740_909_600_000)).toBe(1_740_909_600_000)
    for (const odd of [null, undefined, '', 'yesterday', '2025-13-45 99:00:00', -5, {}]) {
      expect(parseLegacyTime(odd)).toBeNull()
    }
  })
})

describe('readLegacyDatabase', () => {
  it('reads both schema versions, and a key table missing later columns', () => {
    for (const variant of ['current', 'early'] as const) {
      const handle = sharedFile(typicalLegacyFixture(NOW, variant))
      const snapshot = readLegacyDatabase(handle.sqlite)
      expect(snapshot.keys).toHaveLength(7)
      expect(snapshot.proxies).toHaveLength(4)
      expect(snapshot.blocks).toHaveLength(2)
    }
    const path = join(tempDir(), 'minimal.db')
    const sqlite = new Database(path)
    sqlite.exec(
      "CREATE TABLE api_keys (status TEXT, api_key TEXT NOT NULL UNIQUE, id INTEGER PRIMARY KEY); INSERT INTO api_keys (api_key, status) VALUES ('sk-minimalminimalminimal0001', 'active')",
    )
    const [row] = readLegacyDatabase(sqlite).keys
    expect(row).toMatchObject({ api_key: 'sk-minimalminimalminimal0001', status: 'active', id: 1 })
    expect(row?.call_count).toBeUndefined()
    expect(readLegacyDatabase(sqlite).proxies).toEqual([])
    sqlite.close()
  })
})

describe('mapLegacyKeys', () => {
  it('orders by created_at then id and maps is_available = 0 to disabled', () => {
    const { keys } = mapLegacyKeys(
      [
        {
          id: 2,
          api_key: 'sk-second-000000',
          status: 'error',
          is_available: 0,
          created_at: '2025-01-02 00:00:00',
        } as never,
        {
          id: 3,
          api_key: 'sk-third-0000000',
          status: 'active',
          created_at: '2025-01-01 00:00:00',
        } as never,
        {
          id: 1,
          api_key: 'sk-first-0000000',
          status: 'active',
          created_at: '2025-01-01 00:00:00',
        } as never,
      ],
      { refuseKey: () => undefined, now: NOW, errorCooldownMs: COOLDOWN_MS },
    )
    expect(keys.map((key) => [key.rowId, key.status])).toEqual([
      [1, 'active'],
      [3, 'active'],
      [2, 'disabled'],
    ])
  })
})

describe('importLegacyDatabase', () => {
  it('imports keys in creation order with states, counts, last use and no balance', () => {
    const handle = sharedFile()
    expect(legacyImportPending(handle)).toBe(true)
    const summary = importLegacyDatabase(handle, handle.sqlite, deps())
    expect(legacyImportSummarySchema.parse(summary)).toEqual(summary)
    const rows = keyRows(handle)
    expect(rows.map((row) => row.masked_key)).toEqual(
      [
        LEGACY_KEYS.bravo,
        LEGACY_KEYS.alpha,
        LEGACY_KEYS.charlie,
        LEGACY_KEYS.delta,
        LEGACY_KEYS.echo,
      ].map((key) => `${key.slice(0, 6)}…${key.slice(-4)}`),
    )
    expect(rows.map((row) => row.status)).toEqual([
      'insufficient',
      'active',
      'error',
      'disabled',
      'disabled',
    ])
    const [bravo, alpha, charlie] = rows
    expect(alpha).toMatchObject({
      secret: testCipher.seal(LEGACY_KEYS.alpha),
      fingerprint: testCipher.fingerprint(LEGACY_KEYS.alpha),
      call_count: 42,
      error_count: 2,
      last_error: 'timeout after 600000 ms',
      last_used_at: Date.parse('2025-06-01T08:30:00Z'),
      created_at: Date.parse('2025-03-02T10:00:00Z'),
      balance: null,
      balance_checked_at: null,
      cooldown_until: null,
    })
    expect(bravo).toMatchObject({
      balance: null,
      call_count: 7,
      last_error: expect.stringContaining('30001'),
    })
    // An error key rests one KEY_ERROR_COOLDOWN_MINUTES from the import.
    expect(charlie).toMatchObject({ cooldown_until: NOW + COOLDOWN_MS, last_used_at: null })
    expect(summary.keys).toEqual({
      found: 7,
      imported: 5,
      byStatus: { active: 1, insufficient: 1, error: 1, disabled: 2 },
      duplicates: 0,
    })
    const events = handle.sqlite
      .prepare('SELECT type, to_status, reason, explanation FROM key_events')
      .all()
    expect(events).toHaveLength(5)
    expect(events[0]).toEqual({
      type: 'added',
      to_status: 'insufficient',
      reason: 'imported from siliconflowProxy',
      explanation: JSON.stringify({ code: 'imported_from_legacy', params: {} }),
    })
  })

  it('imports proxies in order_index order, enabled as they were, passwords sealed, broken ones noted', () => {
    const handle = sharedFile()
    const summary = importLegacyDatabase(handle, handle.sqlite, deps())
    const proxies = egressRows(handle).filter((row) => row.kind !== 'direct')
    expect(proxies.map((row) => [row.label, row.scheme, row.host, row.port, row.enabled])).toEqual([
      ['siliconflowProxy #2', 'http', 'proxy.example.com', 8080, 0],
      ['siliconflowProxy #1', 'socks5', '127.0.0.1', 1080, 1],
    ])
    expect(proxies[1]).toMatchObject({
      username: 'olduser',
      password: testCipher.seal(LEGACY_PROXY_PASSWORD),
      identity: 'socks5|127.0.0.1:1080',
      builtin: 0,
    })
    expect(summary.egresses).toEqual({ found: 4, imported: 2, enabled: 1 })
    expect(summary.notes.filter((note) => note.table === 'proxy_config')).toEqual([
      expect.objectContaining({ rowId: 3, code: 'proxy_incomplete', imported: false }),
      expect.objectContaining({ rowId: 4, code: 'proxy_incomplete', imported: false }),
    ])
  })

  it('blocks the direct egress until the active block ends; the expired one is not imported', () => {
    const handle = sharedFile()
    const summary = importLegacyDatabase(handle, handle.sqlite, deps())
    const until = Date.parse(`${legacyTime(NOW + 2 * 3_600_000).replace(' ', 'T')}Z`)
    const direct = egressRows(handle).find((row) => row.kind === 'direct')
    // Made with the built-in egress's identity: the egress plugin adopts this row at its boot.
    expect(direct).toMatchObject({
      identity: 'direct|*',
      state: 'blocked',
      blocked_until: until,
      state_reason: 'siliconflowProxy IP block: HTTP 403 from upstream',
      state_explanation: JSON.stringify({
        code: 'egress_blocked_legacy',
        params: { detail: 'HTTP 403 from upstream' },
      }),
    })
    expect(summary.directBlock).toEqual({
      until: new Date(until).toISOString(),
      reason: 'siliconflowProxy IP block: HTTP 403 from upstream',
    })
    expect(summary.expiredBlocks).toBe(1)
  })

  it('puts the block on a built-in direct egress that is already there', () => {
    const handle = sharedFile()
    handle.sqlite
      .prepare(
        "INSERT INTO egresses (kind, scheme, identity, builtin, created_at, updated_at) VALUES ('direct', 'direct', 'direct|10.0.0.5', 1, 1, 1)",
      )
      .run()
    importLegacyDatabase(handle, handle.sqlite, deps())
    const directs = egressRows(handle).filter((row) => row.kind === 'direct')
    expect(directs).toHaveLength(1)
    expect(directs[0]).toMatchObject({ builtin: 1, state: 'blocked' })
  })

  it('notes a block it cannot place when EGRESS_DIRECT is false', () => {
    const handle = sharedFile()
    const summary = importLegacyDatabase(
      handle,
      handle.sqlite,
      deps({ direct: { enabled: false, localAddress: null, identity: 'direct|*' } }),
    )
    expect(egressRows(handle).some((row) => row.kind === 'direct')).toBe(false)
    expect(summary.directBlock).toBeNull()
    expect(summary.notes).toContainEqual(
      expect.objectContaining({ table: 'ip_blacklist', code: 'block_without_direct' }),
    )
  })

  it('makes the old ADMIN_PASSWORD a client key marked as imported, or notes why not', () => {
    const handle = sharedFile()
    const summary = importLegacyDatabase(handle, handle.sqlite, deps())
    const clients = handle.sqlite.prepare('SELECT * FROM client_keys').all()
    expect(clients).toEqual([
      expect.objectContaining({
        name: 'siliconflowProxy',
        key_hash: 'hash-of-admin-password',
        prefix: 'ADMIN_PASSWORD',
        origin: 'siliconflowProxy',
      }),
    ])
    expect(summary.clientKey).toEqual({ id: 1, name: 'siliconflowProxy' })

    const short = sharedFile()
    const refused = importLegacyDatabase(
      short,
      short.sqlite,
      deps({ clientKey: { refused: 'ADMIN_PASSWORD is shorter than 8 characters' } }),
    )
    expect(short.sqlite.prepare('SELECT count(*) AS n FROM client_keys').get()).toEqual({ n: 0 })
    expect(refused.clientKey).toBeNull()
    expect(refused.notes).toContainEqual(
      expect.objectContaining({ table: 'ADMIN_PASSWORD', code: 'client_key_too_short' }),
    )
  })

  it('reports broken rows masked, never fatal, and never a secret in the summary', () => {
    const handle = sharedFile({
      ...typicalLegacyFixture(NOW),
      keys: [
        ...typicalLegacyFixture(NOW).keys,
        {
          api_key: 'sk-oddstatusoddstatusodd0006',
          status: 'banned',
          created_at: '2025-03-06 00:00:00',
        },
        { api_key: 'sk-two keys in one entry 0007', created_at: 'not a time' },
        { api_key: '  sk-alphaalphaalphaalphaalpha0001  ', created_at: '2025-03-07 00:00:00' },
      ],
    })
    const summary = importLegacyDatabase(
      handle,
      handle.sqlite,
      deps({
        refuseKey: (key) =>
          key.length < 8
            ? 'too short (at least 8 characters)'
            : /\s/.test(key)
              ? 'spaces inside'
              : undefined,
      }),
    )
    const keyNotes = summary.notes.filter((note) => note.table === 'api_keys')
    expect(keyNotes.map((note) => [note.code, note.item, note.imported])).toEqual([
      ['invalid_key', '…', false],
      ['empty_key', '(empty)', false],
      ['unknown_status', 'sk-odd…0006', true],
      ['duplicate_key', 'sk-alp…0001', false],
      ['invalid_key', 'sk-two…0007', false],
    ])
    expect(keyRows(handle).at(-1)).toMatchObject({ status: 'active', masked_key: 'sk-odd…0006' })
    const text = JSON.stringify(summary)
    for (const secret of [
      ...Object.values(LEGACY_KEYS),
      LEGACY_PROXY_PASSWORD,
      LEGACY_CLIENT_SECRET_IN_USAGE,
    ]) {
      expect(text).not.toContain(secret)
    }
  })

  it('imports once: recorded with its summary, and the old tables are never written', () => {
    const handle = sharedFile()
    const before = legacyTablesDigest(handle.sqlite)
    const summary = importLegacyDatabase(handle, handle.sqlite, deps())
    expect(legacyTablesDigest(handle.sqlite)).toBe(before)
    expect(legacyImportPending(handle)).toBe(false)
    expect(readLegacyImport(handle)).toEqual({ summary, dismissed: false })
    const stored = handle.sqlite
      .prepare('SELECT value FROM settings WHERE name = ?')
      .get(LEGACY_IMPORT_SETTING.summary) as { value: string }
    expect(JSON.parse(stored.value)).toEqual(summary)
  })

  it('imports old tables without keys: nothing in the pool, the rest recorded', () => {
    const handle = sharedFile({ ...typicalLegacyFixture(NOW), keys: [] })
    const summary = importLegacyDatabase(handle, handle.sqlite, deps())
    expect(keyRows(handle)).toEqual([])
    expect(summary.keys.imported).toBe(0)
    expect(summary.egresses.imported).toBe(2)
    expect(legacyImportPending(handle)).toBe(false)
  })

  it('is not pending without the old tables, or with keys already in our pool', () => {
    const plain = openDatabase({ dataDir: tempDir() })
    handles.push(plain)
    expect(legacyImportPending(plain)).toBe(false)
    const handle = sharedFile()
    handle.sqlite
      .prepare(
        "INSERT INTO upstream_keys (secret, fingerprint, masked_key, created_at, updated_at) VALUES ('sk-x', 'f', 'm', 1, 1)",
      )
      .run()
    expect(legacyImportPending(handle)).toBe(false)
  })

  it('from another file into a pool with some of the keys: those are duplicates, the file untouched', () => {
    const dataDir = tempDir()
    const handle = openDatabase({ dataDir })
    handles.push(handle)
    const seedPath = join(tempDir(), 'old.db')
    writeLegacyDatabase(seedPath, typicalLegacyFixture(NOW, 'early'))
    const first = new Database(seedPath, { readonly: true })
    const before = legacyTablesDigest(first)
    importLegacyDatabase(handle, first, deps({ via: 'seed' }))
    const again = importLegacyDatabase(handle, first, deps({ via: 'seed' }))
    expect(legacyTablesDigest(first)).toBe(before)
    first.close()
    expect(keyRows(handle)).toHaveLength(5)
    expect(again.keys).toMatchObject({ imported: 0, duplicates: 5 })
    expect(again.egresses.imported).toBe(0)
    expect(again.notes.filter((note) => note.code === 'proxy_duplicate')).toHaveLength(2)
    expect(again.notes).toContainEqual(expect.objectContaining({ code: 'client_key_exists' }))
  })
})
