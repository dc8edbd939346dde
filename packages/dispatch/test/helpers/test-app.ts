import { type DatabaseHandle, databaseOf, openDatabase } from '@sfp/db'
import { egressPlugin } from '@sfp/egress'
import { keyPoolPlugin } from '@sfp/key-pool'
import { clockPlugin } from '@sfp/runtime'
import { parseConfig } from '@sfp/schemas'
import Fastify, { type FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { afterEach } from 'vitest'
import dispatchPlugin, { type DispatchPluginOptions } from '../../src/plugin.js'
import { NOWHERE } from './testbed.js'

const apps: FastifyInstance[] = []
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close()
})

/** The `database` plugin over an in-memory database. */
const database = fp(
  async (app) => {
    const handle: DatabaseHandle = openDatabase({ dataDir: '', fileName: ':memory:' })
    app.decorate('database', databaseOf(handle))
    app.addHook('onClose', async () => handle.close())
  },
  { name: 'database' },
)

export interface TestAppOptions {
  dispatch?: Partial<DispatchPluginOptions>
}

/** A bare Fastify with the database, key pool, egress and dispatch plugins, as the server wires them. */
export async function buildTestApp(options: TestAppOptions = {}) {
  const app = Fastify({ logger: false })
  apps.push(app)
  await app.register(clockPlugin)
  await app.register(database)
  await app.register(keyPoolPlugin, {
    ...parseConfig({}),
    upstreamBaseUrl: NOWHERE,
    autoQueryBalanceAfterCalls: 0,
    balanceRefreshMinutes: 0,
  })
  await app.register(egressPlugin, {
    upstreamBaseUrl: NOWHERE,
    upstreamConnectTimeoutMs: 1000,
    upstreamHeadersTimeoutMs: 1000,
    egressDirect: true,
    egressDirectAddress: undefined,
    egressProxies: [],
    egressBlockCodes: [50603],
    egressBlockMinutes: 30,
    encryptionKey: undefined,
  })
  await app.register(dispatchPlugin, {
    ...parseConfig({}),
    keySwitchGuardMinutes: 30,
    ...options.dispatch,
  })
  await app.ready()
  return { app, pool: app.keyPool }
}
