// Types only: the `app.egress` augmentation of its plugin.
import type {} from '@sfp/egress'
import {
  createEgressBodySchema,
  egressIdParamsSchema,
  type ListEgressesResponse,
  patchEgressBodySchema,
} from '@sfp/schemas'
import type { FastifyPluginAsync } from 'fastify'
import { parseInput } from '../../../validation.js'
import { untilClientGone } from './until-client-gone.js'

/**
 * The egresses (README "Egress lanes"): this host and the proxies the gateway goes out through.
 * Answers show a proxy's URL with its password as `***`; the password never leaves the server.
 */
const egressesRoutes: FastifyPluginAsync = async (app) => {
  app.get('/egresses', async (): Promise<ListEgressesResponse> => ({ egresses: app.egress.list() }))

  app.post('/egresses', async (request, reply) => {
    const body = parseInput(createEgressBodySchema, request.body, 'body')
    return reply.status(201).send(await app.egress.create(body))
  })

  app.patch('/egresses/:id', async (request) => {
    const { id } = parseInput(egressIdParamsSchema, request.params, 'params')
    const patch = parseInput(patchEgressBodySchema, request.body, 'body')
    return app.egress.update(id, patch)
  })

  app.delete('/egresses/:id', async (request, reply) => {
    const { id } = parseInput(egressIdParamsSchema, request.params, 'params')
    await app.egress.remove(id)
    return reply.status(204).send()
  })

  app.post('/egresses/:id/check', async (request, reply) => {
    const { id } = parseInput(egressIdParamsSchema, request.params, 'params')
    return app.egress.check(id, untilClientGone(reply))
  })
}

export default egressesRoutes
