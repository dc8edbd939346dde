import type { StatsBucketView, StatsResponse } from '@sfp/schemas'
import { describe, expect, it } from 'vitest'
import { toUsageSeries } from '../../../src/pages/overview/usage-series.js'

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
    cost: null,
  }
}

const stats: StatsResponse = {
  from: new Date(FROM + 30 * 60_000).toISOString(),
  to: new Date(FROM + 4 * HOUR).toISOString(),
  bucketSeconds: 3600,
  buckets: [bucket(0, 1, 100), bucket(1, 0, null), bucket(2, 3, 500), bucket(3, 0, null)],
}

describe('usage series', () => {
  it('totals requests, errors, tokens and a request-weighted latency', () => {
    const series = toUsageSeries(stats)
    expect(series.requests).toEqual([1, 0, 3, 0])
    expect(series.totals).toEqual({ requests: 4, errors: 1, tokens: 60, avgLatencyMs: 400 })
  })
})
