import { clientKeyIdParamsSchema, createClientKeyBodySchema } from '@sfp/schemas'
import type { FastifyPluginAsync } from 'fastify'
import { NotFound } from '../../../errors.js'
import { parseInput } from '../../../validation.js'

/** Client keys for the proxy routes. The plaintext leaves the server once, in the POST answer. */
const clientKeysRoutes: FastifyPluginAsync = async (app) => {
  app.get('/client-keys', async () => app.clientKeys.list())

  app.post('/client-keys', async (request, reply) => {
    const { name } = parseInput(createClientKeyBodySchema, request.body, 'body')
    return reply
      .status(201)
      .header('cache-control', 'no-store')
      .send(await app.clientKeys.create(name))
  })

  app.delete('/client-keys/:id', async (request, reply) => {
    const { id } = parseInput(clientKeyIdParamsSchema, request.params, 'params')
    if (!(await app.clientKeys.remove(id))) throw new NotFound(`No client key with id ${id}`)
    return reply.status(204).send()
  })
}

export default clientKeysRoutes
