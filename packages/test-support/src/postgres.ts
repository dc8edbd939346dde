export { openPgGate, type PgGate } from './pg-gate.js'

import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { afterEach, beforeEach, describe } from 'vitest'

/** The PostgreSQL the tests may use (`.ci/run` provides one); unset, the PostgreSQL tests skip. */
export const TEST_DATABASE_URL = process.env.DATABASE_URL

/** `describe` for tests that need PostgreSQL: skipped, and saying why, without DATABASE_URL. */
export function describePostgres(name: string, body: () => void): void {
  const title = TEST_DATABASE_URL ? name : `${name} (skipped: DATABASE_URL not set)`
  describe.skipIf(!TEST_DATABASE_URL)(title, body)
}

function testDatabaseUrl(): string {
  if (!TEST_DATABASE_URL) throw new Error('DATABASE_URL is not set: use describePostgres')
  return TEST_DATABASE_URL
}

/** Something opened on the test's schema and closed after the test (`openPostgres`'s handle). */
export interface Closable {
  close(): Promise<void>
}

export interface TestSchema<Options, Handle extends Closable> {
  /** The current test's schema, `sfp_test_<random>`, empty when the test starts. */
  readonly name: string
  /** The database URL the schema lives in. */
  readonly url: string
  /** A statement on a connection of its own outside the schema (catalogs, pg_stat_activity). */
  query<Row extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<Row[]>
  /** The opener given with every connection on this test's schema; closed after the test. */
  open(options?: Options): Promise<Handle>
  /**
   * Closes `resource` after the test, before its schema is dropped: a server still running on
   * the schema (its lease rounds, its writes) would deadlock the `DROP SCHEMA` now and then.
   * The suite's own `afterEach` hooks come too late for that: vitest runs them after this one.
   */
  closeBeforeDrop(resource: Closable): void
}

/**
 * Gives each test of the calling suite a fresh PostgreSQL schema, dropped with everything in it
 * after the test, so tests never see each other's tables, even when test files run at once.
 * Call it at the top of a `describePostgres` body with the opener (`openPostgres` of `@sfp/db/pg`,
 * passed in so that this package does not depend on the one it tests).
 */
export function useTestSchema<Options extends object, Handle extends Closable>(
  opener: (options: Options & { url: string; schema: string }) => Promise<Handle>,
): TestSchema<Options, Handle> {
  let current: { name: string; admin: pg.Client; handles: Closable[] } | undefined

  beforeEach(async () => {
    const admin = new pg.Client({ connectionString: testDatabaseUrl() })
    await admin.connect()
    const name = `sfp_test_${randomBytes(6).toString('hex')}`
    await admin.query(`CREATE SCHEMA ${name}`)
    current = { name, admin, handles: [] }
  })

  afterEach(async () => {
    if (!current) return
    const { name, admin, handles } = current
    current = undefined
    // Last opened, first closed: a server goes before the connections it was given.
    for (const handle of handles.reverse()) await handle.close().catch(() => {})
    await admin.query(`DROP SCHEMA ${name} CASCADE`)
    await admin.end()
  })

  function active() {
    if (!current) throw new Error('useTestSchema: only inside a test of its suite')
    return current
  }

  return {
    get name() {
      return active().name
    },
    get url() {
      return testDatabaseUrl()
    },
    query: async <Row extends pg.QueryResultRow>(text: string, values?: unknown[]) =>
      (await active().admin.query<Row>(text, values)).rows,
    open: async (options = {} as Options) => {
      const { name, handles } = active()
      const handle = await opener({ ...options, url: testDatabaseUrl(), schema: name })
      handles.push(handle)
      return handle
    },
    closeBeforeDrop: (resource) => {
      active().handles.push(resource)
    },
  }
}
