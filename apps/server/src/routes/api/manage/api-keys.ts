import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
// Types only: the `app.dispatch` augmentation of its plugin.
import type {} from '@sfp/dispatch'
import { KeyNotFound } from '@sfp/key-pool'
import {
  addKeysBodySchema,
  type BulkKeyActionResponse,
  bulkKeyActionBodySchema,
  keyIdParamsSchema,
  listKeysQuerySchema,
  patchKeyBodySchema,
} from '@sfp/schemas'
import type { FastifyPluginAsync } from 'fastify'
import { parseInput } from '../../../validation.js'
import { untilClientGone } from './until-client-gone.js'

/** Enabling or disabling thousands of keys writes each one: yield between slices of this many. */
const BULK_SLICE = 100

/**
 * The upstream key pool (docs/behaviour.md §6). Keys leave the server in plain text only through
 * `GET /api-keys/export`; every other answer carries the masked form.
 */
const apiKeysRoutes: FastifyPluginAsync = async (app) => {
  app.get('/api-keys', async (request) =>
    app.keyPool.list(parseInput(listKeysQuerySchema, request.query, 'query')),
  )

  app.post('/api-keys', async (request, reply) => {
    const body = parseInput(addKeysBodySchema, request.body, 'body')
    return reply.status(201).send(await app.keyPool.add(body))
  })

  app.get('/api-keys/export', async (_request, reply) =>
    reply
      .header('content-type', 'text/plain; charset=utf-8')
      .header('content-disposition', 'attachment; filename="siliconflow-keys.txt"')
      .header('cache-control', 'no-store')
      .send(app.keyPool.exportText()),
  )

  app.delete('/api-keys/:id', async (request, reply) => {
    const { id } = parseInput(keyIdParamsSchema, request.params, 'params')
    if ((await app.keyPool.remove([id])).removed.length === 0) throw new KeyNotFound(id)
    return reply.status(204).send()
  })

  app.patch('/api-keys/:id', async (request) => {
    const { id } = parseInput(keyIdParamsSchema, request.params, 'params')
    const patch = parseInput(patchKeyBodySchema, request.body, 'body')
    return app.keyPool.update(id, patch)
  })

  app.put('/api-keys/:id/activate', async (request) => {
    const { id } = parseInput(keyIdParamsSchema, request.params, 'params')
    // The dispatch makes it the key of its lane (the guard's one override), the pool re-enables it.
    app.dispatch.activate(id)
    return app.keyPool.view(id)
  })

  app.post('/api-keys/:id/check', async (request, reply) => {
    const { id } = parseInput(keyIdParamsSchema, request.params, 'params')
    return app.keyPool.check(id, untilClientGone(reply))
  })

  app.post('/api-keys/bulk', async (request, reply): Promise<BulkKeyActionResponse> => {
    const { action, ids } = parseInput(bulkKeyActionBodySchema, request.body, 'body')
    const pool = app.keyPool
    if (action === 'delete') {
      const { removed, notFound } = await pool.remove(ids)
      return { affected: removed.length, notFound }
    }
    const signal = untilClientGone(reply)
    const notFound: number[] = []
    let affected = 0
    for (const [index, id] of [...new Set(ids)].entries()) {
      if (index > 0 && index % BULK_SLICE === 0) await yieldToEventLoop()
      if (pool.view(id) === undefined) {
        notFound.push(id)
        continue
      }
      // Checks run one after another, each through the dispatch gate like any upstream call.
      if (action === 'check') await pool.check(id, signal)
      else pool.update(id, { enabled: action === 'enable' })
      affected += 1
    }
    return { affected, notFound }
  })
}

export default apiKeysRoutes
