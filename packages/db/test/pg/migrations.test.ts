import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import {
  isPostgresMigrated,
  PG_MIGRATIONS_FOLDER,
  PG_MIGRATIONS_TABLE,
  type PostgresHandle,
} from '../../src/pg/index.js'
import { describePostgres, type TestSchema, useTestSchema } from '../helpers/postgres.js'

/** The migrations committed in drizzle-pg/, as drizzle-kit's journal lists them. */
const COMMITTED_MIGRATIONS: unknown[] = JSON.parse(
  readFileSync(join(PG_MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8'),
).entries

const TABLES = [
  'client_keys',
  'egresses',
  'instances',
  'key_events',
  'lane_leases',
  'notification_targets',
  'request_logs',
  'settings',
  'upstream_keys',
]

async function tablesIn(testSchema: TestSchema): Promise<string[]> {
  const rows = await testSchema.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables
     WHERE table_schema = $1 AND table_name <> $2 ORDER BY table_name`,
    [testSchema.name, PG_MIGRATIONS_TABLE],
  )
  return rows.map((row) => row.table_name)
}

async function journal(testSchema: TestSchema): Promise<{ hash: string }[]> {
  return testSchema.query(`SELECT hash FROM ${testSchema.name}.${PG_MIGRATIONS_TABLE}`)
}

/** What the handle itself sees: its own search_path, not the test's catalog queries. */
async function tablesSeenBy(handle: PostgresHandle): Promise<string[]> {
  const { rows } = await handle.pool.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables
     WHERE table_schema = current_schema() AND table_name <> $1 ORDER BY table_name`,
    [PG_MIGRATIONS_TABLE],
  )
  return rows.map((row) => row.table_name)
}

describePostgres('PostgreSQL migrations', () => {
  const testSchema = useTestSchema()

  it('apply on an empty schema, with their journal in that schema', async () => {
    expect(await tablesIn(testSchema)).toEqual([])
    const handle = await testSchema.open()

    expect(handle.schema).toBe(testSchema.name)
    expect(await tablesIn(testSchema)).toEqual(TABLES)
    expect(await journal(testSchema)).toHaveLength(COMMITTED_MIGRATIONS.length)
    expect(await isPostgresMigrated(handle)).toBe(true)
  })

  it('run once when three instances open the same empty schema together', async () => {
    const opened = await Promise.allSettled([
      testSchema.open(),
      testSchema.open(),
      testSchema.open(),
    ])

    const outcomes = opened.map((result) =>
      result.status === 'fulfilled' ? 'opened' : String(result.reason),
    )
    expect(outcomes).toEqual(['opened', 'opened', 'opened'])
    const rows = await journal(testSchema)
    expect(rows).toHaveLength(COMMITTED_MIGRATIONS.length)
    expect(new Set(rows.map((row) => row.hash)).size).toBe(COMMITTED_MIGRATIONS.length)
    for (const result of opened) {
      if (result.status !== 'fulfilled') continue
      expect(await tablesSeenBy(result.value)).toEqual(TABLES)
      expect(await isPostgresMigrated(result.value)).toBe(true)
    }
  })

  it('leave a migrated schema and its rows alone on the next open', async () => {
    const first = await testSchema.open()
    await first.pool.query(
      `INSERT INTO settings (name, value, updated_at) VALUES ('current_key_id', '42', 1)`,
    )
    await first.close()
    expect(await isPostgresMigrated(first)).toBe(false)

    const second = await testSchema.open()
    expect(await journal(testSchema)).toHaveLength(COMMITTED_MIGRATIONS.length)
    const { rows } = await second.pool.query('SELECT value FROM settings')
    expect(rows).toEqual([{ value: '42' }])
  })

  it('reports a schema whose journal lacks a migration as not migrated', async () => {
    const handle = await testSchema.open()
    await testSchema.query(`DELETE FROM ${testSchema.name}.${PG_MIGRATIONS_TABLE}`)
    expect(await isPostgresMigrated(handle)).toBe(false)
  })
})
