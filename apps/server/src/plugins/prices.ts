import { SETTING } from '@sfp/db'
import { costOf, type PriceEntry, type PricesResponse, pricesResponseSchema } from '@sfp/schemas'
import fp from 'fastify-plugin'

/** `app.prices`: the price table (docs/behaviour.md §11), in memory, stored as one setting. */
export interface PriceTable {
  view(): PricesResponse
  /** Replaces the whole table (validated by the route) and stores it. */
  replace(prices: readonly PriceEntry[]): Promise<PricesResponse>
  /** Read the stored table again (cluster mode: another instance replaced it). */
  reload(): Promise<void>
  /** CNY one answer cost; null when the model has no price or no tokens were reported. */
  costOf(
    model: string | null,
    promptTokens: number | null,
    completionTokens: number | null,
  ): number | null
}

declare module 'fastify' {
  interface FastifyInstance {
    prices: PriceTable
  }
}

const EMPTY: PricesResponse = { prices: [], updatedAt: null }

/**
 * Loaded at boot; a stored table that no longer reads as one (edited by hand, an older shape) is
 * set aside with a warning rather than stopping the server: costs are then unknown, never wrong.
 */
export default fp(
  async (app) => {
    const { settings } = app.database
    let table = EMPTY
    let byModel = new Map<string, PriceEntry>()
    const load = async () => {
      try {
        const stored = await settings.getJson<unknown>(SETTING.prices)
        table = stored === undefined ? EMPTY : pricesResponseSchema.parse(stored)
      } catch {
        table = EMPTY
        app.log.warn(
          'the stored price table could not be read; costs are unknown until it is set again',
        )
      }
      byModel = new Map(table.prices.map((entry) => [entry.model, entry]))
    }
    await load()

    app.decorate('prices', {
      view: () => table,
      async replace(prices) {
        const next = { prices: [...prices], updatedAt: new Date(app.clock.now()).toISOString() }
        await settings.setJson(SETTING.prices, next, app.clock.now())
        table = next
        byModel = new Map(next.prices.map((entry) => [entry.model, entry]))
        return table
      },
      reload: load,
      costOf: (model, promptTokens, completionTokens) =>
        model === null ? null : costOf(byModel.get(model), promptTokens, completionTokens),
    } satisfies PriceTable)
  },
  { name: 'prices', fastify: '5.x', dependencies: ['clock', 'database'] },
)
