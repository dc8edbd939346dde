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

/** Guards against a bogus `bucketSeconds` making a huge timeline. */
const MAX_POINTS = 2000

function emptyBucket(start: number): StatsBucketView {
  return {
    start: new Date(start).toISOString(),
    requests: 0,
    errors: 0,
    promptTokens: 0,
    completionTokens: 0,
    totalTokens: 0,
    avgLatencyMs: null,
    maxLatencyMs: null,
    avgTtfbMs: null,
  }
}

/**
 * The server may leave out empty buckets; the chart needs every step of the timeline, so missing
 * ones are filled with zero requests. If the buckets are not on the expected grid, they are used
 * as they are.
 */
export function completeBuckets(stats: StatsResponse): StatsBucketView[] {
  const step = stats.bucketSeconds * 1000
  const from = Date.parse(stats.from)
  const to = Date.parse(stats.to)
  if (!(step > 0) || !(to > from)) return stats.buckets
  const first = Math.floor(from / step) * step
  if ((to - first) / step > MAX_POINTS) return stats.buckets
  const byStart = new Map(stats.buckets.map((bucket) => [Date.parse(bucket.start), bucket]))
  if ([...byStart.keys()].some((start) => (start - first) % step !== 0)) return stats.buckets
  const complete: StatsBucketView[] = []
  for (let start = first; start < to; start += step) {
    complete.push(byStart.get(start) ?? emptyBucket(start))
  }
  return complete
}

export function toUsageSeries(stats: StatsResponse): UsageSeries {
  const buckets = completeBuckets(stats)
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
