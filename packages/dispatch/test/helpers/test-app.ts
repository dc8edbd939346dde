import {
  createKeyEventsRepository,
  createSettingsStore,
  type DatabaseHandle,
  openDatabase,
} from '@sfp/db'
import Fastify, { type FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { afterEach } from 'vitest'
import dispatchPlugin, { type DispatchPluginOptions } from '../../src/plugin.js'
import { FakeKeyPool } from './fake-key-pool.js'

const apps: FastifyInstance[] = []
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close()
})

/** The server's `database` plugin in miniature: the two stores the dispatch plugin uses. */
const fakeDatabase = fp(
  async (app) => {
    const handle: DatabaseHandle = openDatabase({ dataDir: '', fileName: ':memory:' })
    app.decorate('database', {
      settings: createSettingsStore(handle.db),
      keyEvents: createKeyEventsRepository(handle.db),
    })
    app.addHook('onClose', async () => handle.close())
  },
  { name: 'database' },
)

export interface TestAppOptions {
  dispatch?: DispatchPluginOptions
  /** Register before the routes (e.g. the server's error handler). */
  before?: (app: FastifyInstance) => Promise<void>
}

/** A bare Fastify with a fake database and key pool and the dispatch plugin. */
export async function buildTestApp(options: TestAppOptions = {}) {
  const pool = new FakeKeyPool()
  const app = Fastify({ logger: false })
  apps.push(app)
  await options.before?.(app)
  await app.register(fakeDatabase)
  await app.register(
    fp(
      async (instance) => {
        instance.decorate('keyPool', pool)
      },
      { name: 'key-pool' },
    ),
  )
  await app.register(dispatchPlugin, { guardMinutes: 30, policy: 'wait', ...options.dispatch })
  await app.ready()
  return { app, pool }
}
