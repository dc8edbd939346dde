import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { databaseOf, openDatabase, SETTING, sqliteStorage, type UpstreamKeyRow } from '@sfp/db'
import { type Clock, clockPlugin } from '@sfp/runtime'
import { parseConfig } from '@sfp/schemas'
import { createManualClock } from '@sfp/test-support'
import Fastify, { type FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { request } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import egressPlugin, { type EgressPluginOptions, egressSettings } from '../src/plugin.js'
import {
  ENCRYPTION_KEY,
  keyRow,
  NOWHERE,
  onCleanup,
  rejectionOf,
  upstream,
} from './helpers/harness.js'

const errorCode = (error: unknown) => (error as { code?: unknown }).code

const apps: FastifyInstance[] = []
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close()
})

const OPTIONS: EgressPluginOptions = {
  upstreamBaseUrl: NOWHERE,
  upstreamConnectTimeoutMs: 2000,
  upstreamHeadersTimeoutMs: 30_000,
  egressDirect: true,
  egressDirectAddress: undefined,
  egressProxies: [],
  egressBlockCodes: [50603],
  egressBlockMinutes: 30,
  encryptionKey: undefined,
}

/** The key pool's side as the egress plugin uses it, recording the calls. */
function fakeKeyPool(rows: UpstreamKeyRow[]) {
  const calls: string[] = []
  return {
    calls,
    rows: () => rows,
    row: (id: number) => rows.find((row) => row.id === id),
    bind(id: number, egressId: number, time: number) {
      calls.push(`bind ${id} ${egressId} ${time}`)
      const row = rows.find((candidate) => candidate.id === id)
      if (row) Object.assign(row, { egressId, egressUsedAt: time })
    },
    unbindEgress(egressId: number) {
      calls.push(`unbindEgress ${egressId}`)
      for (const row of rows) if (row.egressId === egressId) row.egressId = null
    },
  }
}

async function buildApp(
  options: Partial<EgressPluginOptions> = {},
  rows: UpstreamKeyRow[] = [],
  dataDir?: string,
  clock?: Clock,
) {
  const app = Fastify({ logger: false })
  apps.push(app)
  await app.register(clockPlugin, { clock })
  const handle =
    dataDir === undefined
      ? openDatabase({ dataDir: '', fileName: ':memory:' })
      : openDatabase({ dataDir })
  const database = databaseOf(handle)
  // The single-IP days' memory, to see the migration go through the key pool.
  await database.settings.set(SETTING.currentKeyId, '1')
  const pool = fakeKeyPool(rows)
  await app.register(
    fp(
      async (instance) => {
        instance.decorate('database', database)
        instance.addHook('onClose', async () => handle.close())
      },
      { name: 'database' },
    ),
  )
  await app.register(
    fp(
      async (instance) => {
        instance.decorate('keyPool', pool as never)
      },
      { name: 'key-pool' },
    ),
  )
  await app.register(egressPlugin, { ...OPTIONS, ...options })
  await app.ready()
  return { app, pool, handle }
}

describe('egressPlugin', () => {
  it('decorates app.egress, migrating through the key pool', async () => {
    const { app, pool } = await buildApp({}, [keyRow({ id: 1, lastUsedAt: 1000 })])
    expect(app.egress.lanes()).toHaveLength(1)
    const id = app.egress.lanes()[0]?.id ?? 0
    expect(app.egress.view(id)).toMatchObject({ kind: 'direct', state: 'up' })
    expect(pool.calls).toEqual([`bind 1 ${id} 1000`])
    expect(app.egress.guardMemory(id).lastUsedKeyId).toBe(1)
  })

  it('needs the database and key-pool plugins', async () => {
    const app = Fastify({ logger: false })
    apps.push(app)
    await app.register(clockPlugin)
    await expect(app.register(egressPlugin, OPTIONS).ready()).rejects.toThrow(/database/)
  })

  it("reads the time from the app's clock", async () => {
    const clock = createManualClock(Date.UTC(2030, 5, 1))
    const { app } = await buildApp({}, [], undefined, clock)
    const { id } = await app.egress.create({ url: 'http://127.0.0.1:3128' })
    expect(app.egress.view(id).createdAt).toBe('2030-06-01T00:00:00.000Z')
  })

  it('removing a proxy: its last use stays recorded on the key, then its keys are unbound', async () => {
    const rows = [keyRow({ id: 1 }), keyRow({ id: 2 })]
    const { app, pool } = await buildApp({}, rows)
    const { id } = await app.egress.create({ url: 'http://127.0.0.1:3128' })
    Object.assign(rows[0] ?? {}, { egressId: id, egressUsedAt: 100 })
    Object.assign(rows[1] ?? {}, { egressId: id, egressUsedAt: 100 })
    app.egress.saveGuardMemory(
      id,
      { lastUsedKeyId: 2, lastUsedAt: 5000, lastSwitchAt: 10 },
      5000,
      false,
    )
    pool.calls.length = 0
    await app.egress.remove(id)
    expect(pool.calls).toEqual([`bind 2 ${id} 5000`, `unbindEgress ${id}`])
    expect(rows.map((row) => row.egressId)).toEqual([null, null])
  })

  it('removing a proxy whose last key moved on: no bind back', async () => {
    const rows = [keyRow({ id: 1 })]
    const { app, pool } = await buildApp({}, rows)
    const { id } = await app.egress.create({ url: 'socks5://127.0.0.1:1080' })
    app.egress.saveGuardMemory(
      id,
      { lastUsedKeyId: 1, lastUsedAt: 5000, lastSwitchAt: 10 },
      5000,
      false,
    )
    pool.calls.length = 0
    await app.egress.remove(id)
    expect(pool.calls).toEqual([`unbindEgress ${id}`])
  })

  it('closes the dispatchers on app.close()', async () => {
    const mock = await upstream()
    const { app } = await buildApp({ upstreamBaseUrl: mock.url })
    const { id } = await app.egress.create({ url: 'socks5://127.0.0.1:1080' })
    const dispatchers = app.egress.lanes().map((lane) => lane.dispatcher)
    const direct = dispatchers[0]
    const ok = await request(`${mock.url}/v1/models`, { dispatcher: direct })
    await ok.body.text()
    expect(app.egress.lane(id)?.kind).toBe('socks5')
    await app.close()
    for (const dispatcher of dispatchers) {
      const error = await rejectionOf(request(`${mock.url}/v1/models`, { dispatcher }))
      // ClientClosedError (an Agent) or ClientDestroyedError (the SOCKS5 agent).
      expect(['UND_ERR_CLOSED', 'UND_ERR_DESTROYED']).toContain(errorCode(error))
    }
    expect(mock.requests).toHaveLength(1)
  })

  it('writes pending counters on close, before the database closes', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sfp-egress-plugin-'))
    onCleanup(() => rmSync(dataDir, { recursive: true, force: true }))
    const { app } = await buildApp({}, [], dataDir)
    const { id } = await app.egress.create({ url: 'socks5://127.0.0.1:1080' })
    app.egress.recordCall(id, true)
    app.egress.recordCall(id, false)
    await app.close()

    const reopened = openDatabase({ dataDir })
    onCleanup(() => reopened.close())
    const row = (await sqliteStorage(reopened).egresses.all()).find((each) => each.id === id)
    expect(row).toMatchObject({ requestCount: 2, errorCount: 1 })
  })
})

describe('options', () => {
  it('are its slice of the parsed Config, taken as they are', () => {
    const config = parseConfig({
      EGRESS_DIRECT: 'false',
      EGRESS_BLOCK_CODES: '50603,50604',
      EGRESS_BLOCK_MINUTES: '5',
    })
    expect(egressSettings(config)).toMatchObject({
      upstreamBaseUrl: 'https://api.siliconflow.cn',
      egressDirect: false,
      egressBlockCodes: [50603, 50604],
      egressBlockMinutes: 5,
      checkTimeoutMs: 15_000,
    })
  })

  it('the check waits at most 15 s, or UPSTREAM_HEADERS_TIMEOUT_MS if shorter', () => {
    expect(egressSettings(OPTIONS).checkTimeoutMs).toBe(15_000)
    expect(egressSettings({ ...OPTIONS, upstreamHeadersTimeoutMs: 4000 }).checkTimeoutMs).toBe(4000)
    expect(egressSettings({ ...OPTIONS, encryptionKey: ENCRYPTION_KEY }).encryptionKey).toBe(
      ENCRYPTION_KEY,
    )
  })
})
