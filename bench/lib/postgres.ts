import { randomBytes } from 'node:crypto'
import pg from 'pg'

/** Where `pnpm bench --cluster` looks when DATABASE_URL is unset: the tests' database. */
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/sfp_test'

/** The database could not be reached: the cluster run says so and stops without failing. */
export class PostgresUnreachable extends Error {}

/** Schemas made for one run on one database, all dropped (with their tables) by `close()`. */
export interface BenchDatabase {
  /** A fresh empty schema; the URL that puts every connection's search_path on it. */
  schema(label: string): Promise<string>
  close(): Promise<void>
}

/** Connects to `url` (throws `PostgresUnreachable` when it cannot) for schemas of this run. */
export async function openBenchDatabase(url: string): Promise<BenchDatabase> {
  const admin = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 })
  try {
    await admin.connect()
  } catch (error) {
    await admin.end().catch(() => {})
    throw new PostgresUnreachable(error instanceof Error ? error.message : String(error))
  }
  const run = randomBytes(4).toString('hex')
  const made: string[] = []
  return {
    async schema(label) {
      // Goes into a connection option unquoted: plain lower-case identifiers only.
      const name = `sfp_bench_${run}_${label}`
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad schema name ${name}`)
      await admin.query(`CREATE SCHEMA ${name}`)
      made.push(name)
      const onSchema = new URL(url)
      onSchema.searchParams.set('options', `-c search_path=${name}`)
      return onSchema.toString()
    },
    async close() {
      try {
        for (const name of made.splice(0)) await admin.query(`DROP SCHEMA ${name} CASCADE`)
      } finally {
        await admin.end()
      }
    },
  }
}

/** The URL without its password, for messages. */
export function describeDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password !== '') parsed.password = '***'
    parsed.search = ''
    return parsed.toString()
  } catch {
    return '(DATABASE_URL is not a URL)'
  }
}
