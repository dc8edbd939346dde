import {
  type ClientKeysRepository,
  createClientKeysRepository,
  createKeyEventsRepository,
  createRequestLogRepository,
  createSettingsStore,
  createUpstreamKeysRepository,
  type DatabaseHandle,
  type KeyEventsRepository,
  openDatabase,
  type RequestLogRepository,
  type SettingsStore,
  type UpstreamKeysRepository,
} from '@sfp/db'
import fp from 'fastify-plugin'

export interface Database {
  handle: DatabaseHandle
  settings: SettingsStore
  upstreamKeys: UpstreamKeysRepository
  clientKeys: ClientKeysRepository
  requestLogs: RequestLogRepository
  keyEvents: KeyEventsRepository
}

declare module 'fastify' {
  interface FastifyInstance {
    database: Database
  }
}

export interface DatabasePluginOptions {
  dataDir: string
}

/** Opens `DATA_DIR/api_keys.db`, applies migrations, and closes it last on shutdown. */
export default fp<DatabasePluginOptions>(
  async (app, { dataDir }) => {
    const handle = openDatabase({ dataDir })
    const { db } = handle
    app.decorate('database', {
      handle,
      settings: createSettingsStore(db),
      upstreamKeys: createUpstreamKeysRepository(db),
      clientKeys: createClientKeysRepository(db),
      requestLogs: createRequestLogRepository(db),
      keyEvents: createKeyEventsRepository(db),
    })
    app.log.info({ path: handle.path }, 'database open')
    app.addHook('onClose', async () => {
      handle.close()
      app.log.info('database closed')
    })
  },
  { name: 'database', fastify: '5.x' },
)
