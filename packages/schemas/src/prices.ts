import { z } from 'zod'

/**
 * One model's price in CNY per million tokens (docs/behaviour.md §11). A free model is 0; a model
 * not in the table has no price, and a request for it costs null (unknown), never 0.
 */
export const priceEntrySchema = z.object({
  model: z.string().trim().min(1).max(200),
  inputPerMillion: z.number().finite().min(0).max(100_000),
  outputPerMillion: z.number().finite().min(0).max(100_000),
})
export type PriceEntry = z.infer<typeof priceEntrySchema>

/** `PUT /api/manage/prices`: the whole table, replacing the stored one; each model once. */
export const putPricesBodySchema = z
  .object({ prices: z.array(priceEntrySchema).max(5000) })
  .strict()
  .superRefine(({ prices }, ctx) => {
    const seen = new Set<string>()
    prices.forEach((entry, index) => {
      if (seen.has(entry.model)) {
        ctx.addIssue({
          code: 'custom',
          path: ['prices', index, 'model'],
          message: `model ${entry.model} is listed twice`,
        })
      }
      seen.add(entry.model)
    })
  })
export type PutPricesBody = z.infer<typeof putPricesBodySchema>

/** `GET /api/manage/prices` (and the answer of PUT); `updatedAt` null before any table was set. */
export const pricesResponseSchema = z.object({
  prices: z.array(priceEntrySchema),
  updatedAt: z.string().nullable(),
})
export type PricesResponse = z.infer<typeof pricesResponseSchema>

/**
 * What one answer cost: its tokens at the model's price, in CNY. Null when the model has no
 * price or the answer reported no tokens at all; a side the answer did not report (embeddings
 * have no completion tokens) counts as none.
 */
export function costOf(
  price: Pick<PriceEntry, 'inputPerMillion' | 'outputPerMillion'> | undefined,
  promptTokens: number | null,
  completionTokens: number | null,
): number | null {
  if (price === undefined || (promptTokens === null && completionTokens === null)) return null
  const cost =
    ((promptTokens ?? 0) * price.inputPerMillion +
      (completionTokens ?? 0) * price.outputPerMillion) /
    1_000_000
  return roundYuan(cost)
}

/**
 * Whole millionths of a yuan, the unit every cost, spend and estimate is kept in: sums of many
 * requests stay readable and the same in both dialects, and no 12.499999999 from subtraction.
 */
export const roundYuan = (cny: number): number => Math.round(cny * 1_000_000) / 1_000_000

/**
 * The last known balance minus what was spent through the key since (docs/behaviour.md §11);
 * null when no balance was ever known. Without priced spend it is the balance itself.
 */
export function estimatedBalance(balance: number | null, spent: number | null): number | null {
  return balance === null ? null : roundYuan(balance - (spent ?? 0))
}
