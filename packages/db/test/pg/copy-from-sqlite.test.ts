import { afterEach, expect, it } from 'vitest'
import { type DatabaseHandle, openDatabase } from '../../src/database.js'
import { copySqliteToPostgres, postgresStorage, TargetNotEmpty } from '../../src/pg/index.js'
import { SETTING } from '../../src/settings-store.js'
import { sqliteStorage } from '../../src/sqlite-storage.js'
import type { Storage } from '../../src/storage.js'
import { describePostgres, useTestSchema } from '../helpers/postgres.js'
import { EXPLANATION, newEgress, newEvent, newKey, T0 } from '../storage/rows.js'

const handles: DatabaseHandle[] = []
afterEach(() => {
  for (const handle of handles.splice(0)) handle.close()
})

/** A SQLite database with rows in every table, ids with gaps, and more log rows than one page. */
async function filledSqlite(): Promise<{ handle: DatabaseHandle; storage: Storage }> {
  const handle = openDatabase({ dataDir: '', fileName: ':memory:' })
  handles.push(handle)
  const storage = sqliteStorage(handle)
  const proxy = await storage.egresses.insert(newEgress('10.0.0.1', { password: 'sealed:pw' }))
  const [a, b, c] = await storage.upstreamKeys.insertMany([
    newKey('a', { egressId: proxy?.id ?? null, egressUsedAt: T0 + 5, balance: 12.5 }),
    newKey('b', { status: 'cooling', rateLimitClass: 'day', blockedModels: ['Pro/x'] }),
    newKey('c', { lastErrorDetail: EXPLANATION }),
  ])
  await storage.upstreamKeys.remove([b?.id ?? 0]) // a gap in the ids
  await storage.keyEvents.appendMany([
    newEvent({ keyId: a?.id ?? 0 }),
    newEvent({ keyId: c?.id ?? 0, explanation: EXPLANATION }),
  ])
  await storage.clientKeys.insert({ name: 'team', keyHash: 'h1', prefix: 'sk-1', createdAt: T0 })
  await storage.settings.set(SETTING.encryptionCheck, 'sealed-check', T0)
  await storage.requestLogs.insertBatch(
    Array.from({ length: 1234 }, (_, i) => ({
      time: T0 + i,
      requestId: `r${i}`,
      method: 'POST',
      path: '/v1/chat/completions',
      status: i % 7 === 0 ? 500 : 200,
      durationMs: i,
      totalTokens: i % 3 === 0 ? null : i,
      cost: i % 5 === 0 ? null : i / 1000,
      errorParams: i % 7 === 0 ? { status: 500, detail: '中文 "x"' } : null,
    })),
  )
  return { handle, storage }
}

describePostgres('copying a SQLite database into PostgreSQL', () => {
  const schema = useTestSchema()

  it('copies every row of every table, ids included, and new ids continue after them', async () => {
    const { handle, storage: from } = await filledSqlite()
    const target = await schema.open()
    const to = postgresStorage(target)
    const report = await copySqliteToPostgres(handle, target)
    expect(report.tables).toMatchObject({
      upstream_keys: 2,
      egresses: 1,
      key_events: 2,
      client_keys: 1,
      request_logs: 1234,
    })
    expect(await to.upstreamKeys.all()).toEqual(await from.upstreamKeys.all())
    expect(await to.egresses.all()).toEqual(await from.egresses.all())
    expect(await to.clientKeys.all()).toEqual(await from.clientKeys.all())
    expect(await to.keyEvents.list({ limit: 100 })).toEqual(
      await from.keyEvents.list({ limit: 100 }),
    )
    expect(await to.settings.get(SETTING.encryptionCheck)).toBe('sealed-check')
    const page = { limit: 2000 } as const
    expect(await to.requestLogs.list(page)).toEqual(await from.requestLogs.list(page))
    // The next key gets the id after the largest copied one, as it would have on SQLite.
    const [next] = await to.upstreamKeys.insertMany([newKey('d')])
    const [onSqlite] = await from.upstreamKeys.insertMany([newKey('d')])
    expect(next?.id).toBe(onSqlite?.id)
  })

  it('refuses a database that holds rows already, and changes nothing there', async () => {
    const { handle } = await filledSqlite()
    const target = await schema.open()
    const to = postgresStorage(target)
    await to.clientKeys.insert({ name: 'mine', keyHash: 'h9', prefix: 'sk-9', createdAt: T0 })
    await expect(copySqliteToPostgres(handle, target)).rejects.toBeInstanceOf(TargetNotEmpty)
    expect((await to.clientKeys.all()).map((key) => key.name)).toEqual(['mine'])
    expect(await to.upstreamKeys.all()).toEqual([])
  })
})
