import {
  clientKeyIdParamsSchema,
  createClientKeyBodySchema,
  patchClientKeyBodySchema,
} from '@sfp/schemas'
import type { FastifyPluginAsync } from 'fastify'
import { NotFound } from '../../../errors.js'
import { parseInput } from '../../../validation.js'

/**
 * Client keys for the proxy routes, with their limits (docs/behaviour.md §12). The plaintext
 * leaves the server once, in the POST answer; a PATCH changes the name and limits, never the key.
 */
const clientKeysRoutes: FastifyPluginAsync = async (app) => {
  app.get('/client-keys', async () => app.clientKeys.list())

  app.post('/client-keys', async (request, reply) => {
    const { name, ...limits } = parseInput(createClientKeyBodySchema, request.body, 'body')
    return reply
      .status(201)
      .header('cache-control', 'no-store')
      .send(await app.clientKeys.create(name, limits))
  })

  app.patch('/client-keys/:id', async (request) => {
    const { id } = parseInput(clientKeyIdParamsSchema, request.params, 'params')
    const patch = parseInput(patchClientKeyBodySchema, request.body, 'body')
    const key = await app.clientKeys.update(id, patch)
    if (key === undefined) throw new NotFound(`No client key with id ${id}`)
    return key
  })

  app.delete('/client-keys/:id', async (request, reply) => {
    const { id } = parseInput(clientKeyIdParamsSchema, request.params, 'params')
    if (!(await app.clientKeys.remove(id))) throw new NotFound(`No client key with id ${id}`)
    return reply.status(204).send()
  })
}

export default clientKeysRoutes
