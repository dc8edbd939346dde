import type { Config } from '@sfp/schemas'
import type { FastifyPluginAsync } from 'fastify'
import backupRoutes from './backup.js'
import clientKeysRoutes from './client-keys.js'
import configRoutes from './config.js'
import logsRoutes from './logs.js'
import statsRoutes from './stats.js'

export interface ManageRoutesOptions {
  config: Config
  now?: () => number
}

/** `/api/manage/*`: the admin API (CONTRACT §6). Every route here requires the admin login. */
const manage: FastifyPluginAsync<ManageRoutesOptions> = async (app, { config, now }) => {
  app.addHook('preHandler', app.adminAuth)
  await app.register(configRoutes, { config })
  await app.register(clientKeysRoutes)
  await app.register(logsRoutes)
  await app.register(statsRoutes, now ? { now } : {})
  await app.register(backupRoutes)
}

export default manage
