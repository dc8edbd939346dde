import { type Config, redactConfig } from '@sfp/schemas'
import type { FastifyPluginAsync } from 'fastify'

/** `GET /api/manage/config`: the effective settings, secrets replaced by whether they are set. */
const configRoutes: FastifyPluginAsync<{ config: Config }> = async (app, { config }) => {
  const view = redactConfig(config)
  app.get('/config', async () => view)
}

export default configRoutes
