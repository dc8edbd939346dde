import type { StatsResponse } from '@sfp/schemas'
import { createManualClock } from '@sfp/test-support'
import { describe, expect, it } from 'vitest'
import { logRow } from '../helpers/log-rows.js'
import { basicAuth, buildTestApp } from '../helpers/test-app.js'

const NOW = Date.parse('2026-11-20T12:30:00Z')
const HOUR = 3_600_000

async function get(app: Awaited<ReturnType<typeof buildTestApp>>['app'], query: string) {
  const response = await app.inject({
    method: 'GET',
    url: `/api/manage/stats${query}`,
    headers: { authorization: basicAuth() },
  })
  return { status: response.statusCode, body: response.json() as StatsResponse }
}

describe('GET /api/manage/stats', () => {
  it('buckets the last 24 hours by hour, with empty hours filled', async () => {
    const { app } = await buildTestApp({}, { clock: createManualClock(NOW) })
    app.requestLog.record(logRow({ time: NOW - 10 * 60_000, durationMs: 100, ttfbMs: 50 }))
    app.requestLog.record(
      logRow({
        time: NOW - 20 * 60_000,
        status: 503,
        durationMs: 300,
        ttfbMs: null,
        totalTokens: null,
        promptTokens: null,
        completionTokens: null,
      }),
    )
    app.requestLog.record(logRow({ time: NOW - 3 * HOUR, upstreamKeyId: 2 }))
    app.requestLog.record(logRow({ time: NOW - 25 * HOUR }))

    const { status, body } = await get(app, '')
    expect(status).toBe(200)
    expect(body.bucketSeconds).toBe(3600)
    expect(body.buckets).toHaveLength(25)
    expect(body.buckets.reduce((sum, b) => sum + b.requests, 0)).toBe(3)
    expect(body.buckets.at(-1)).toEqual({
      start: '2026-11-20T12:00:00.000Z',
      requests: 2,
      errors: 1,
      promptTokens: 10,
      completionTokens: 5,
      totalTokens: 15,
      avgLatencyMs: 200,
      maxLatencyMs: 300,
      avgTtfbMs: 50,
      cost: null,
    })
    expect(body.buckets.at(-2)?.requests).toBe(0)
  })

  it('gives one series per key when asked', async () => {
    const { app } = await buildTestApp({}, { clock: createManualClock(NOW) })
    app.requestLog.record(logRow({ time: NOW - 60_000, upstreamKeyId: 1 }))
    app.requestLog.record(logRow({ time: NOW - 60_000, upstreamKeyId: 2 }))
    app.requestLog.record(logRow({ time: NOW - 60_000, upstreamKeyId: 2 }))
    const { body } = await get(app, '?groupBy=key&bucket=day')
    const perKey = Object.fromEntries(
      (body.byKey ?? []).map((series) => [
        series.keyId,
        series.buckets.reduce((s, b) => s + b.requests, 0),
      ]),
    )
    expect(perKey).toEqual({ 1: 1, 2: 2 })
  })

  it('gives one series per egress lane when asked, and filters by egress', async () => {
    const { app } = await buildTestApp({}, { clock: createManualClock(NOW) })
    app.requestLog.record(logRow({ time: NOW - 60_000, egressId: 1 }))
    app.requestLog.record(logRow({ time: NOW - 60_000, egressId: 3 }))
    app.requestLog.record(logRow({ time: NOW - 60_000, egressId: 3 }))
    app.requestLog.record(logRow({ time: NOW - 60_000, egressId: null, status: 401 }))
    const { body } = await get(app, '?groupBy=egress&bucket=day')
    const perEgress = Object.fromEntries(
      (body.byEgress ?? []).map((series) => [
        String(series.egressId),
        series.buckets.reduce((s, b) => s + b.requests, 0),
      ]),
    )
    expect(perEgress).toEqual({ 1: 1, 3: 2, null: 1 })
    expect(body.byKey).toBeUndefined()
    const onThree = await get(app, '?egressId=3&bucket=day')
    expect(onThree.body.buckets.reduce((s, b) => s + b.requests, 0)).toBe(2)
    expect((await get(app, '?egressId=0x3')).status).toBe(400)
  })

  it('gives one series per client key when asked (issue 17: who used the gateway how much)', async () => {
    const { app } = await buildTestApp({}, { clock: createManualClock(NOW) })
    app.requestLog.record(logRow({ time: NOW - 60_000, clientKeyId: 4, totalTokens: 100 }))
    app.requestLog.record(logRow({ time: NOW - 60_000, clientKeyId: 4, totalTokens: 50 }))
    app.requestLog.record(logRow({ time: NOW - 60_000, clientKeyId: 7, status: 429 }))
    app.requestLog.record(logRow({ time: NOW - 60_000, clientKeyId: null }))
    const { body } = await get(app, '?groupBy=client&bucket=day')
    const perClient = Object.fromEntries(
      (body.byClient ?? []).map((series) => [
        String(series.clientKeyId),
        series.buckets.reduce(
          (s, b) => ({
            requests: s.requests + b.requests,
            errors: s.errors + b.errors,
            tokens: s.tokens + b.totalTokens,
          }),
          { requests: 0, errors: 0, tokens: 0 },
        ),
      ]),
    )
    expect(perClient).toEqual({
      null: { requests: 1, errors: 0, tokens: 15 },
      4: { requests: 2, errors: 0, tokens: 150 },
      7: { requests: 1, errors: 1, tokens: 15 },
    })
    expect(body.byKey).toBeUndefined()
    expect(body.byEgress).toBeUndefined()
  })

  it('filters by key', async () => {
    const { app } = await buildTestApp({}, { clock: createManualClock(NOW) })
    app.requestLog.record(logRow({ time: NOW - 60_000, upstreamKeyId: 1 }))
    app.requestLog.record(logRow({ time: NOW - 60_000, upstreamKeyId: 2 }))
    const { body } = await get(app, '?keyId=2&bucket=day')
    expect(body.buckets.reduce((s, b) => s + b.requests, 0)).toBe(1)
  })

  it.each([
    ['?bucket=week', 'query.bucket'],
    ['?bucket=minute&from=2026-01-01T00:00:00Z', 'more than 2100 buckets'],
    ['?from=2026-11-21T00:00:00Z&to=2026-11-20T00:00:00Z', 'must not be after'],
  ])('rejects %s with 400', async (query, text) => {
    const { app } = await buildTestApp({}, { clock: createManualClock(NOW) })
    const { status, body } = await get(app, query)
    expect(status).toBe(400)
    expect(JSON.stringify(body)).toContain(text)
  })
})
