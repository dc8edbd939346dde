import type { StatsBucketView, StatsResponse } from '@sfp/schemas'
import { describe, expect, it } from 'vitest'
import { completeBuckets, toUsageSeries } from '../../../src/pages/overview/usage-series.js'

const HOUR = 3_600_000
const FROM = Date.UTC(2025, 4, 14, 0, 0, 0)

function bucket(
  offsetHours: number,
  requests: number,
  avgLatencyMs: number | null,
): StatsBucketView {
  return {
    start: new Date(FROM + offsetHours * HOUR).toISOString(),
    requests,
    errors: requests > 1 ? 1 : 0,
    promptTokens: requests * 10,
    completionTokens: requests * 5,
    totalTokens: requests * 15,
    avgLatencyMs,
    maxLatencyMs: avgLatencyMs,
    avgTtfbMs: avgLatencyMs === null ? null : avgLatencyMs / 2,
  }
}

const stats: StatsResponse = {
  from: new Date(FROM + 30 * 60_000).toISOString(),
  to: new Date(FROM + 4 * HOUR).toISOString(),
  bucketSeconds: 3600,
  buckets: [bucket(0, 1, 100), bucket(2, 3, 500)],
}

describe('usage series', () => {
  it('fills the buckets the server left out with zero requests and no latency', () => {
    const buckets = completeBuckets(stats)
    expect(buckets.map((b) => [Date.parse(b.start) - FROM, b.requests, b.avgLatencyMs])).toEqual([
      [0, 1, 100],
      [HOUR, 0, null],
      [2 * HOUR, 3, 500],
      [3 * HOUR, 0, null],
    ])
  })

  it('uses the buckets as they are when they are off the grid', () => {
    const odd = {
      ...stats,
      buckets: [{ ...bucket(0, 1, 1), start: new Date(FROM + 7).toISOString() }],
    }
    expect(completeBuckets(odd)).toBe(odd.buckets)
  })

  it('totals requests, errors, tokens and a request-weighted latency', () => {
    const series = toUsageSeries(stats)
    expect(series.requests).toEqual([1, 0, 3, 0])
    expect(series.totals).toEqual({ requests: 4, errors: 1, tokens: 60, avgLatencyMs: 400 })
  })
})
