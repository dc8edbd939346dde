import type { StatsResponse } from '@sfp/schemas'

/** One client key's usage over the asked range: totals for the table, points for its chart. */
export interface ClientUsageRow {
  /** null: the `PROXY_API_KEYS` keys (and requests refused before a client key was known). */
  clientKeyId: number | null
  requests: number
  errors: number
  tokens: number
  /** CNY; null when none of the range's requests was priced: unknown, not free. */
  cost: number | null
  /** Bucket start times (ms), one per point. */
  times: number[]
  requestsOverTime: number[]
  errorsOverTime: number[]
}

/** Sums each client key's buckets (`groupBy=client`, docs/behaviour.md §12), in the server's order. */
export function toClientUsageRows(stats: StatsResponse): ClientUsageRow[] {
  return (stats.byClient ?? []).map(({ clientKeyId, buckets }) => {
    const priced = buckets.filter((bucket) => bucket.cost !== null)
    return {
      clientKeyId,
      requests: buckets.reduce((total, bucket) => total + bucket.requests, 0),
      errors: buckets.reduce((total, bucket) => total + bucket.errors, 0),
      tokens: buckets.reduce((total, bucket) => total + bucket.totalTokens, 0),
      cost:
        priced.length === 0
          ? null
          : priced.reduce((total, bucket) => total + (bucket.cost ?? 0), 0),
      times: buckets.map((bucket) => Date.parse(bucket.start)),
      requestsOverTime: buckets.map((bucket) => bucket.requests),
      errorsOverTime: buckets.map((bucket) => bucket.errors),
    }
  })
}
