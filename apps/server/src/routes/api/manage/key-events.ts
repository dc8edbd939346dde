import { toKeyEventView } from '@sfp/key-pool'
import { listKeyEventsQuerySchema } from '@sfp/schemas'
import type { FastifyPluginAsync } from 'fastify'
import { parseInput } from '../../../validation.js'

/** `GET /api/manage/key-events`: why keys changed state or were switched, newest first. */
const keyEventsRoutes: FastifyPluginAsync = async (app) => {
  app.get('/key-events', async (request) => {
    const { keyId, limit } = parseInput(listKeyEventsQuerySchema, request.query, 'query')
    // Events are written behind (a write under way holds the next ones a few microtasks): what
    // was done before this request, an admin's activation say, is in its answer.
    await app.keyPool.flush()
    const events = await app.database.keyEvents.list({ keyId, limit })
    return { events: events.map(toKeyEventView) }
  })
}

export default keyEventsRoutes
