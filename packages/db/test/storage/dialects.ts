import { afterEach, describe } from 'vitest'
import { type DatabaseHandle, openDatabase } from '../../src/database.js'
import { postgresStorage } from '../../src/pg/index.js'
import { sqliteStorage } from '../../src/sqlite-storage.js'
import type { Storage } from '../../src/storage.js'
import { describePostgres, useTestSchema } from '../helpers/postgres.js'

export interface Dialect {
  name: 'sqlite' | 'postgres'
  /** A fresh, migrated, empty database of this dialect, closed after the test. */
  open(): Promise<Storage>
}

/** A private in-memory SQLite database per call, closed after the test. */
export function useSqlite(): () => Storage {
  const handles: DatabaseHandle[] = []
  afterEach(() => {
    for (const handle of handles.splice(0)) handle.close()
  })
  return () => {
    const handle = openDatabase({ dataDir: '', fileName: ':memory:' })
    handles.push(handle)
    return sqliteStorage(handle)
  }
}

/**
 * The storage contract, written once: `body` runs as a suite on SQLite, and again on PostgreSQL
 * when DATABASE_URL is set (each test in a fresh schema; skipped, saying so, otherwise).
 */
export function describeStorage(name: string, body: (dialect: Dialect) => void): void {
  describe(`${name} [sqlite]`, () => {
    const openSqlite = useSqlite()
    body({ name: 'sqlite', open: async () => openSqlite() })
  })
  describePostgres(`${name} [postgres]`, () => {
    const schema = useTestSchema()
    body({ name: 'postgres', open: async () => postgresStorage(await schema.open()) })
  })
}
