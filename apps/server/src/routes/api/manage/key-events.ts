import { toKeyEventView } from '@sfp/key-pool'
import { listKeyEventsQuerySchema } from '@sfp/schemas'
import type { FastifyPluginAsync } from 'fastify'
import { parseInput } from '../../../validation.js'

/** `GET /api/manage/key-events`: why keys changed state or were switched, newest first. */
const keyEventsRoutes: FastifyPluginAsync = async (app) => {
  app.get('/key-events', async (request) => {
    const { keyId, limit } = parseInput(listKeyEventsQuerySchema, request.query, 'query')
    return { events: app.database.keyEvents.list({ keyId, limit }).map(toKeyEventView) }
  })
}

export default keyEventsRoutes
