import type { StatsBucketView, StatsResponse } from '@sfp/schemas'

export interface UsageSeries {
  /** Bucket start times (ms), one per point. */
  times: number[]
  requests: number[]
  errors: number[]
  promptTokens: number[]
  completionTokens: number[]
  /** null where a bucket had no requests: no latency to show, not zero latency. */
  avgLatencyMs: (number | null)[]
  avgTtfbMs: (number | null)[]
  totals: { requests: number; errors: number; tokens: number; avgLatencyMs: number | null }
}

/** The server answers every bucket of the range, empty ones included (`statsResponseSchema`). */
export function toUsageSeries(stats: StatsResponse): UsageSeries {
  const { buckets } = stats
  let latencyWeight = 0
  let latencySum = 0
  for (const bucket of buckets) {
    if (bucket.avgLatencyMs !== null && bucket.requests > 0) {
      latencySum += bucket.avgLatencyMs * bucket.requests
      latencyWeight += bucket.requests
    }
  }
  const sum = (pick: (bucket: StatsBucketView) => number) =>
    buckets.reduce((total, bucket) => total + pick(bucket), 0)
  return {
    times: buckets.map((bucket) => Date.parse(bucket.start)),
    requests: buckets.map((bucket) => bucket.requests),
    errors: buckets.map((bucket) => bucket.errors),
    promptTokens: buckets.map((bucket) => bucket.promptTokens),
    completionTokens: buckets.map((bucket) => bucket.completionTokens),
    avgLatencyMs: buckets.map((bucket) => bucket.avgLatencyMs),
    avgTtfbMs: buckets.map((bucket) => bucket.avgTtfbMs),
    totals: {
      requests: sum((bucket) => bucket.requests),
      errors: sum((bucket) => bucket.errors),
      tokens: sum((bucket) => bucket.totalTokens),
      avgLatencyMs: latencyWeight > 0 ? latencySum / latencyWeight : null,
    },
  }
}
