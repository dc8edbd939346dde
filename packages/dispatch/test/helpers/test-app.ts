import {
  createEgressesRepository,
  createKeyEventsRepository,
  createSettingsStore,
  createUpstreamKeysRepository,
  type DatabaseHandle,
  openDatabase,
} from '@sfp/db'
import { egressPlugin } from '@sfp/egress'
import { keyPoolPlugin } from '@sfp/key-pool'
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

/** The server's `database` plugin in miniature: the stores the three plugins use. */
const database = fp(
  async (app) => {
    const handle: DatabaseHandle = openDatabase({ dataDir: '', fileName: ':memory:' })
    app.decorate('database', {
      settings: createSettingsStore(handle.db),
      keyEvents: createKeyEventsRepository(handle.db),
      upstreamKeys: createUpstreamKeysRepository(handle.db),
      egresses: createEgressesRepository(handle.db),
    })
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
