import type { Config } from '@sfp/schemas'
import type { FastifyPluginAsync } from 'fastify'
import { isSafeMethod } from '../../../http/safe-methods.js'
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
  // An admin change is answered once it is in the database (README "Crash safety"). The key pool
  // and the egresses write a change at once but behind the handler: a write that finds another
  // under way follows it, microtasks later on SQLite and a round trip later on PostgreSQL, and a
  // crash in between would lose a change the admin was told of.
  app.addHook('onSend', async (request, _reply, payload) => {
    if (!isSafeMethod(request.method)) await Promise.all([app.keyPool.flush(), app.egress.flush()])
    return payload
  })
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
