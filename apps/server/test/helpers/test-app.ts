import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { DatabaseHandle } from '@sfp/db'
import { type Config, parseConfig } from '@sfp/schemas'
import type { FastifyInstance } from 'fastify'
import { afterEach } from 'vitest'
import { type BuildServerOptions, buildServer } from '../../src/build-server.js'

export const TEST_ADMIN_PASSWORD = 'test-admin-password'
export const TEST_CLIENT_KEY = 'sk-test-client-key-0001'
/** Nothing listens on port 9 (discard): an upstream call fails at once instead of going out. */
export const UNREACHABLE_UPSTREAM = 'http://127.0.0.1:9'

export interface TestApp {
  app: FastifyInstance
  config: Config
  dataDir: string
  /** Lines the server showed on stdout (first-boot secrets). */
  announced: string[]
}

/** The SQLite file of a server without DATABASE_URL, for tests that look at its rows directly. */
export function sqliteHandleOf(app: FastifyInstance): DatabaseHandle {
  const { handle } = app.database
  if (handle === undefined) throw new Error('this test needs the SQLite database, not DATABASE_URL')
  return handle
}

/** The better-sqlite3 connection of `sqliteHandleOf`. */
export const sqliteOf = (app: FastifyInstance): DatabaseHandle['sqlite'] =>
  sqliteHandleOf(app).sqlite

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

export function tempDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sfp-server-'))
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/**
 * A server on a fresh data folder, ready for `inject`, closed after the test. Defaults give a
 * known admin password and client key; pass `ADMIN_PASSWORD: ''` etc. to test generation.
 */
export async function buildTestApp(
  env: Record<string, string> = {},
  options: BuildServerOptions & { dataDir?: string } = {},
): Promise<TestApp> {
  const { dataDir = tempDataDir(), ...serverOptions } = options
  const config = parseConfig({
    ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
    PROXY_API_KEYS: TEST_CLIENT_KEY,
    LOG_LEVEL: 'silent',
    NODE_ENV: 'test',
    // Never the internet: tests that need upstream pass the mock's URL (`upstream.url`).
    UPSTREAM_BASE_URL: UNREACHABLE_UPSTREAM,
    ...env,
    DATA_DIR: dataDir,
  })
  const announced: string[] = []
  const app = await buildServer(config, {
    logger: false,
    announce: (line) => announced.push(line),
    ...serverOptions,
  })
  cleanups.push(() => app.close())
  await app.ready()
  return { app, config, dataDir, announced }
}

export function basicAuth(password = TEST_ADMIN_PASSWORD, user = 'admin'): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
}
