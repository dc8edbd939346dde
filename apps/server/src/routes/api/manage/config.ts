import { type Config, configView } from '@sfp/schemas'
import type { FastifyPluginAsync } from 'fastify'

/**
 * `GET /api/manage/config`: the effective settings, secrets replaced by whether they are set, each
 * with its group and zh/en description from the settings declarations.
 */
const configRoutes: FastifyPluginAsync<{ config: Config }> = async (app, { config }) => {
  const view = configView(config)
  app.get('/config', async () => view)
}

export default configRoutes
