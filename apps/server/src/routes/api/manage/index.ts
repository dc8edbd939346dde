import type { Config } from '@sfp/schemas'
import type { FastifyPluginAsync } from 'fastify'
import adminPasswordRoutes from './admin-password.js'
import apiKeysRoutes from './api-keys.js'
import backupRoutes from './backup.js'
import clientKeysRoutes from './client-keys.js'
import configRoutes from './config.js'
import egressesRoutes from './egresses.js'
import eventsRoutes from './events.js'
import importRoutes from './import.js'
import keyEventsRoutes from './key-events.js'
import logsRoutes from './logs.js'
import notificationsRoutes from './notifications.js'
import pricesRoutes from './prices.js'
import statsRoutes from './stats.js'
import statusRoutes from './status.js'

export interface ManageRoutesOptions {
  config: Config
}

/** `/api/manage/*`: the admin API (docs/behaviour.md §6). Every route needs the admin login. */
const manage: FastifyPluginAsync<ManageRoutesOptions> = async (app, { config }) => {
  app.addHook('onRequest', app.adminAuth)
  await app.register(configRoutes, { config })
  await app.register(adminPasswordRoutes)
  await app.register(clientKeysRoutes)
  await app.register(apiKeysRoutes)
  await app.register(egressesRoutes)
  await app.register(keyEventsRoutes)
  await app.register(logsRoutes)
  await app.register(statsRoutes)
  await app.register(backupRoutes)
  await app.register(statusRoutes)
  await app.register(eventsRoutes)
  await app.register(importRoutes)
  await app.register(notificationsRoutes)
  await app.register(pricesRoutes)
}

export default manage
