import type { Config } from '@sfp/schemas'
import type { FastifyPluginAsync } from 'fastify'
import clientKeysRoutes from './client-keys.js'
import configRoutes from './config.js'

export interface ManageRoutesOptions {
  config: Config
}

/** `/api/manage/*`: the admin API (CONTRACT §6). Every route here requires the admin login. */
const manage: FastifyPluginAsync<ManageRoutesOptions> = async (app, { config }) => {
  app.addHook('preHandler', app.adminAuth)
  await app.register(configRoutes, { config })
  await app.register(clientKeysRoutes)
}

export default manage
