import { describe, expect, it } from 'vitest'
import { costOf, putPricesBodySchema } from '../src/prices.js'

const QWEN = { inputPerMillion: 4, outputPerMillion: 12 }

describe('what an answer cost', () => {
  it('prices input and output tokens per million, in whole millionths of a yuan', () => {
    expect(costOf(QWEN, 1000, 500)).toBe(0.01)
    expect(costOf(QWEN, 1, 1)).toBe(0.000016)
    expect(costOf(QWEN, 3, 0)).toBe(0.000012)
  })

  it('is unknown (null), never 0, without a price or without any token count', () => {
    expect(costOf(undefined, 1000, 500)).toBeNull()
    expect(costOf(QWEN, null, null)).toBeNull()
  })

  it('counts a side the answer did not report as none (embeddings have no completion)', () => {
    expect(costOf({ inputPerMillion: 0.5, outputPerMillion: 0 }, 2000, null)).toBe(0.001)
  })

  it('is 0 for a free model', () => {
    expect(costOf({ inputPerMillion: 0, outputPerMillion: 0 }, 1000, 1000)).toBe(0)
  })
})

describe('PUT /prices body', () => {
  it('refuses a model listed twice, naming the row, and negative or unknown fields', () => {
    const twice = putPricesBodySchema.safeParse({
      prices: [
        { model: 'a', ...QWEN },
        { model: 'a', ...QWEN },
      ],
    })
    expect(twice.success).toBe(false)
    expect(twice.error?.issues[0]?.path).toEqual(['prices', 1, 'model'])
    expect(
      putPricesBodySchema.safeParse({
        prices: [{ model: 'a', inputPerMillion: -1, outputPerMillion: 0 }],
      }).success,
    ).toBe(false)
    expect(putPricesBodySchema.safeParse({ prices: [], extra: 1 }).success).toBe(false)
  })
})
