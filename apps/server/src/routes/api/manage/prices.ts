import { putPricesBodySchema } from '@sfp/schemas'
import type { FastifyPluginAsync } from 'fastify'
import { parseInput } from '../../../validation.js'

/**
 * The price table (docs/behaviour.md §11): CNY per million input and output tokens per model.
 * PUT replaces it whole, so an exported table imports back as it was.
 */
const pricesRoutes: FastifyPluginAsync = async (app) => {
  app.get('/prices', async () => app.prices.view())

  app.put('/prices', async (request) => {
    const { prices } = parseInput(putPricesBodySchema, request.body, 'body')
    return app.prices.replace(prices)
  })
}

export default pricesRoutes
