import { join } from 'node:path'
import { importLegacyDatabase, openDatabase } from '@sfp/db'
import { createAesKeyCipher, isSealed } from '@sfp/key-pool'
import type {
  LegacyImportResponse,
  ListClientKeysResponse,
  ListEgressesResponse,
  ListKeysResponse,
} from '@sfp/schemas'
import { legacyImportResponseSchema, parseConfig } from '@sfp/schemas'
import {
  LEGACY_CLIENT_SECRET_IN_USAGE,
  LEGACY_KEYS,
  LEGACY_PROXY_PASSWORD,
  legacyTablesDigest,
  legacyTime,
  typicalLegacyFixture,
  writeLegacyDatabase,
} from '@sfp/test-support/legacy'
import { type MockUpstream, startMockUpstream } from '@sfp/test-support/upstream'
import { afterEach, describe, expect, it } from 'vitest'
import { legacyImportDeps } from '../../src/plugins/legacy-import.js'
import { databaseDigest } from '../helpers/database-digest.js'
import {
  basicAuth,
  buildTestApp,
  sqliteOf,
  TEST_ADMIN_PASSWORD,
  tempDataDir,
} from '../helpers/test-app.js'

const admin = { authorization: basicAuth() }
const ALL_LEGACY_SECRETS = [
  ...Object.values(LEGACY_KEYS),
  LEGACY_PROXY_PASSWORD,
  LEGACY_CLIENT_SECRET_IN_USAGE,
  TEST_ADMIN_PASSWORD,
]

let upstream: MockUpstream | undefined
afterEach(async () => {
  await upstream?.close()
  upstream = undefined
})

/** A DATA_DIR holding the old program's database, as a user who points DATA_DIR at it has. */
function oldDataDir(fixture = typicalLegacyFixture(Date.now())): string {
  const dataDir = tempDataDir()
  writeLegacyDatabase(join(dataDir, 'api_keys.db'), fixture)
  return dataDir
}

async function get<T>(app: Awaited<ReturnType<typeof buildTestApp>>['app'], url: string) {
  const response = await app.inject({ method: 'GET', url, headers: admin })
  expect(response.statusCode).toBe(200)
  return { body: response.body, json: response.json() as T }
}

function capturingLogger(lines: string[]) {
  return { level: 'info', stream: { write: (line: string) => lines.push(line) } }
}

describe('siliconflowProxy import at boot', () => {
  it('imports keys, proxies, the active block and the old secret before anything reads them', async () => {
    const now = Date.now()
    const logLines: string[] = []
    const { app, announced } = await buildTestApp(
      { PROXY_API_KEYS: '' },
      { dataDir: oldDataDir(typicalLegacyFixture(now)), logger: capturingLogger(logLines) },
    )

    const keys = await get<ListKeysResponse>(app, '/api/manage/api-keys')
    expect(keys.json.keys.map((key) => [key.maskedKey, key.status, key.balance])).toEqual([
      ['sk-bra…0002', 'insufficient', null],
      ['sk-alp…0001', 'active', null],
      ['sk-cha…0003', 'error', null],
      ['sk-del…0004', 'disabled', null],
      ['sk-ech…0005', 'disabled', null],
    ])
    expect(keys.json.keys[1]).toMatchObject({
      callCount: 42,
      errorCount: 2,
      lastUsedAt: '2025-06-01T08:30:00.000Z',
      lastError: 'timeout after 600000 ms',
    })

    const egresses = await get<ListEgressesResponse>(app, '/api/manage/egresses')
    const direct = egresses.json.egresses.find((egress) => egress.kind === 'direct')
    expect(direct).toMatchObject({
      state: 'blocked',
      blockedUntil: new Date(
        Date.parse(`${legacyTime(now + 2 * 3_600_000).replace(' ', 'T')}Z`),
      ).toISOString(),
    })
    expect(direct?.stateReason).toContain('siliconflowProxy')
    expect(egresses.json.egresses.filter((egress) => egress.kind !== 'direct')).toEqual([
      expect.objectContaining({ label: 'siliconflowProxy #2', enabled: false }),
      expect.objectContaining({
        label: 'siliconflowProxy #1',
        enabled: true,
        url: 'socks5://olduser:***@127.0.0.1:1080',
      }),
    ])

    const clients = await get<ListClientKeysResponse>(app, '/api/manage/client-keys')
    expect(clients.json.keys).toEqual([
      expect.objectContaining({
        name: 'siliconflowProxy',
        prefix: 'ADMIN_PASSWORD',
        origin: 'siliconflowProxy',
      }),
    ])
    // The imported key is the client key: first boot makes no other.
    expect(announced.join('\n')).not.toMatch(/Client API key/)

    const summary = await get<LegacyImportResponse>(app, '/api/manage/import')
    expect(legacyImportResponseSchema.parse(summary.json)).toMatchObject({
      dismissed: false,
      summary: {
        via: 'boot',
        keys: { imported: 5, byStatus: { active: 1, insufficient: 1, error: 1, disabled: 2 } },
        egresses: { imported: 2, enabled: 1 },
        clientKey: { name: 'siliconflowProxy' },
        notImported: ['api_usage', 'proxy_state'],
      },
    })

    // One info line with counts; no secret in any answer or log line.
    const imported = logLines.filter((line) => line.includes('imported the siliconflowProxy'))
    expect(imported).toHaveLength(1)
    expect(JSON.parse(imported[0] ?? '{}')).toMatchObject({ level: 30, keys: 5, egresses: 2 })
    const seen = [keys.body, egresses.body, clients.body, summary.body, ...logLines].join('\n')
    for (const secret of ALL_LEGACY_SECRETS) expect(seen).not.toContain(secret)
  })

  it('makes the old ADMIN_PASSWORD a client key that authenticates on /v1', async () => {
    upstream = await startMockUpstream()
    const { app } = await buildTestApp(
      { UPSTREAM_BASE_URL: upstream.url },
      { dataDir: oldDataDir({ keys: [{ api_key: LEGACY_KEYS.alpha }] }) },
    )
    const ask = (key: string) =>
      app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { authorization: `Bearer ${key}` },
        payload: { model: 'Qwen/Qwen2.5-7B-Instruct', messages: [{ role: 'user', content: 'hi' }] },
      })
    expect((await ask(TEST_ADMIN_PASSWORD)).statusCode).toBe(200)
    expect(upstream.requests.at(-1)?.key).toBe(LEGACY_KEYS.alpha)
    expect((await ask('not-the-password')).statusCode).toBe(401)
  })

  it('imports nothing at the second boot, changes nothing, and never writes the old tables', async () => {
    const dataDir = oldDataDir()
    const { Sqlite } = await import('@sfp/db')
    const peek = (read: (sqlite: InstanceType<typeof Sqlite>) => string) => {
      const sqlite = new Sqlite(join(dataDir, 'api_keys.db'), { readonly: true })
      try {
        return read(sqlite)
      } finally {
        sqlite.close()
      }
    }
    const oldBefore = peek(legacyTablesDigest)

    const first = await buildTestApp({}, { dataDir })
    await first.app.close()
    const ours = () =>
      peek(
        (sqlite) =>
          databaseDigest(sqlite, ['upstream_keys', 'client_keys', 'key_events']) +
          JSON.stringify(sqlite.prepare('SELECT * FROM egresses ORDER BY id').all()) +
          JSON.stringify(
            sqlite.prepare("SELECT * FROM settings WHERE name LIKE 'legacy_import.%'").all(),
          ),
      )
    const afterFirst = ours()

    const second = await buildTestApp({}, { dataDir })
    await second.app.close()
    expect(ours()).toBe(afterFirst)
    expect(peek(legacyTablesDigest)).toBe(oldBefore)
  })

  it('stores the imported keys and proxy passwords encrypted when ENCRYPTION_KEY is set', async () => {
    const dataDir = oldDataDir()
    const { app } = await buildTestApp(
      { ENCRYPTION_KEY: 'an-encryption-key-of-32-characters!!' },
      { dataDir },
    )
    const sqlite = sqliteOf(app)
    const secrets = sqlite.prepare('SELECT secret FROM upstream_keys').all() as {
      secret: string
    }[]
    expect(secrets).toHaveLength(5)
    for (const { secret } of secrets) expect(isSealed(secret)).toBe(true)
    const proxy = sqlite
      .prepare('SELECT password FROM egresses WHERE password IS NOT NULL')
      .get() as { password: string }
    expect(isSealed(proxy.password)).toBe(true)
    const exported = await app.inject({
      method: 'GET',
      url: '/api/manage/api-keys/export',
      headers: admin,
    })
    expect(exported.body.split('\n').filter(Boolean).sort()).toEqual(
      Object.values(LEGACY_KEYS).sort(),
    )
  })

  it('seals at the import itself, with the key pool cipher (not left to a later boot step)', async () => {
    const dataDir = oldDataDir()
    const config = parseConfig({
      ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
      ENCRYPTION_KEY: 'an-encryption-key-of-32-characters!!',
      DATA_DIR: dataDir,
    })
    const handle = openDatabase({ dataDir })
    try {
      importLegacyDatabase(handle, handle.sqlite, legacyImportDeps(config, 'boot', Date.now()))
      const cipher = createAesKeyCipher('an-encryption-key-of-32-characters!!')
      const rows = handle.sqlite.prepare('SELECT secret, fingerprint FROM upstream_keys').all() as {
        secret: string
        fingerprint: string
      }[]
      expect(rows.map((row) => cipher.open(row.secret)).sort()).toEqual(
        Object.values(LEGACY_KEYS).sort(),
      )
      for (const row of rows)
        expect(row.fingerprint).toBe(cipher.fingerprint(cipher.open(row.secret)))
      const proxy = handle.sqlite
        .prepare('SELECT password FROM egresses WHERE password IS NOT NULL')
        .get() as { password: string }
      expect(cipher.open(proxy.password)).toBe(LEGACY_PROXY_PASSWORD)
    } finally {
      handle.close()
    }
  })

  it('imports nothing under an ENCRYPTION_KEY that does not open the stored secrets', async () => {
    const dataDir = oldDataDir()
    const rightKey = 'the-right-encryption-key-0000000001'
    const handle = openDatabase({ dataDir })
    handle.sqlite
      .prepare("INSERT INTO settings (name, value, updated_at) VALUES ('crypto.check', ?, 1)")
      .run(createAesKeyCipher(rightKey).seal('sfp encryption check v1'))
    handle.close()

    // The key pool refuses to boot with its own message; the import did not run before it.
    await expect(
      buildTestApp({ ENCRYPTION_KEY: 'a-wrong-encryption-key-00000000002' }, { dataDir }),
    ).rejects.toThrow(/ENCRYPTION_KEY/)
    const peek = openDatabase({ dataDir })
    expect(peek.sqlite.prepare('SELECT count(*) AS n FROM upstream_keys').get()).toEqual({ n: 0 })
    peek.close()

    const { app } = await buildTestApp({ ENCRYPTION_KEY: rightKey }, { dataDir })
    const keys = await get<ListKeysResponse>(app, '/api/manage/api-keys')
    expect(keys.json.keys).toHaveLength(5)
  })

  it('reports the block instead of placing it when EGRESS_DIRECT is false', async () => {
    const { app } = await buildTestApp({ EGRESS_DIRECT: 'false' }, { dataDir: oldDataDir() })
    const { json } = await get<LegacyImportResponse>(app, '/api/manage/import')
    expect(json.summary?.directBlock).toBeNull()
    expect(json.summary?.notes).toContainEqual(
      expect.objectContaining({ code: 'block_without_direct' }),
    )
    const egresses = await get<ListEgressesResponse>(app, '/api/manage/egresses')
    expect(egresses.json.egresses.find((egress) => egress.kind === 'direct')?.state).toBe(
      'disabled',
    )
  })
})

describe('/api/manage/import', () => {
  it('answers null without an import; dismissing then is 404', async () => {
    const { app } = await buildTestApp()
    const { json } = await get<LegacyImportResponse>(app, '/api/manage/import')
    expect(json).toEqual({ summary: null, dismissed: false })
    const dismiss = await app.inject({
      method: 'POST',
      url: '/api/manage/import/dismiss',
      headers: admin,
    })
    expect(dismiss.statusCode).toBe(404)
    expect(dismiss.json()).toMatchObject({ error: { code: 'not_found' } })
  })

  it('needs the admin login, and remembers the dismissal across a restart', async () => {
    const dataDir = oldDataDir()
    const first = await buildTestApp({}, { dataDir })
    const anonymous = await first.app.inject({ method: 'GET', url: '/api/manage/import' })
    expect(anonymous.statusCode).toBe(401)
    const dismiss = await first.app.inject({
      method: 'POST',
      url: '/api/manage/import/dismiss',
      headers: admin,
    })
    expect(dismiss.statusCode).toBe(204)
    await first.app.close()

    const second = await buildTestApp({}, { dataDir })
    const { json } = await get<LegacyImportResponse>(second.app, '/api/manage/import')
    expect(json.dismissed).toBe(true)
    expect(json.summary?.keys.imported).toBe(5)
  })
})
