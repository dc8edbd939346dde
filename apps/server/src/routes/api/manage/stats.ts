import type { StatsRow } from '@sfp/db'
import {
  roundYuan,
  STATS_BUCKETS,
  type StatsBucketView,
  type StatsResponse,
  statsQuerySchema,
} from '@sfp/schemas'
import type { FastifyPluginAsync } from 'fastify'
import { ValidationFailed } from '../../../errors.js'
import { parseInput } from '../../../validation.js'

const DAY_MS = 86_400_000
/** Enough for 7 days of 5-minute buckets; more is a chart nobody can read. */
const MAX_BUCKETS = 2100

const round = (value: number | null) => (value === null ? null : Math.round(value * 10) / 10)

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
    cost: null,
  }
}

/** Every bucket from `first` to `last`, zero where nothing happened, so charts have no holes. */
function fillBuckets(
  rows: StatsRow[],
  first: number,
  last: number,
  bucketMs: number,
): StatsBucketView[] {
  const byStart = new Map(rows.map((row) => [row.start, row]))
  const buckets: StatsBucketView[] = []
  for (let start = first; start <= last; start += bucketMs) {
    const row = byStart.get(start)
    buckets.push(
      row
        ? {
            start: new Date(start).toISOString(),
            requests: row.requests,
            errors: row.errors,
            promptTokens: row.promptTokens,
            completionTokens: row.completionTokens,
            totalTokens: row.totalTokens,
            avgLatencyMs: round(row.avgLatencyMs),
            maxLatencyMs: row.maxLatencyMs,
            avgTtfbMs: round(row.avgTtfbMs),
            // Millionths of a yuan, as each request's cost: a float sum's last bits say nothing.
            cost: row.cost === null ? null : roundYuan(row.cost),
          }
        : emptyBucket(start),
    )
  }
  return buckets
}

/** `GET /api/manage/stats`: requests, errors, tokens, latency per bucket (docs/behaviour.md §6). */
const statsRoutes: FastifyPluginAsync = async (app) => {
  app.get('/stats', async (request): Promise<StatsResponse> => {
    const query = parseInput(statsQuerySchema, request.query, 'query')
    const to = query.to ?? app.clock.now()
    const from = query.from ?? to - DAY_MS
    const bucketMs = STATS_BUCKETS[query.bucket] * 1000
    if (from > to) throw new ValidationFailed('query.from: must not be after query.to')
    if ((to - from) / bucketMs > MAX_BUCKETS) {
      throw new ValidationFailed(
        `query.bucket: more than ${MAX_BUCKETS} buckets; choose a larger bucket`,
      )
    }
    await app.requestLog.catchUp()
    const first = Math.floor(from / bucketMs) * bucketMs
    const last = Math.floor(to / bucketMs) * bucketMs
    const filter = {
      from,
      to,
      bucket: query.bucket,
      keyId: query.keyId,
      egressId: query.egressId,
    }
    const response: StatsResponse = {
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      bucketSeconds: STATS_BUCKETS[query.bucket],
      buckets: fillBuckets(await app.database.requestLogs.stats(filter), first, last, bucketMs),
    }
    if (query.groupBy !== 'none') {
      const rows = await app.database.requestLogs.stats({ ...filter, groupBy: query.groupBy })
      const groups = [...new Set(rows.map((row) => row.groupId))].map((groupId) => ({
        groupId,
        buckets: fillBuckets(
          rows.filter((row) => row.groupId === groupId),
          first,
          last,
          bucketMs,
        ),
      }))
      if (query.groupBy === 'key') {
        response.byKey = groups.map(({ groupId, buckets }) => ({ keyId: groupId, buckets }))
      } else if (query.groupBy === 'egress') {
        response.byEgress = groups.map(({ groupId, buckets }) => ({ egressId: groupId, buckets }))
      } else {
        response.byClient = groups.map(({ groupId, buckets }) => ({
          clientKeyId: groupId,
          buckets,
        }))
      }
    }
    return response
  })
}

export default statsRoutes
