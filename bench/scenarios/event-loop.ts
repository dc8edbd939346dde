import { setTimeout as sleep } from 'node:timers/promises'
import { type Figure, figure } from '../lib/figures.js'
import { chatCompletion, closedLoop, poolFor, timeToFirstByte } from '../lib/load.js'
import { rounded, type Summary, summarize } from '../lib/stats.js'
import type { EventLoopReading, ProductionServer } from '../targets/production-server.js'

const SCENARIO = '5 event loop'
export const EVENT_LOOP_P99_TARGET_MS = 20

interface StatsBody {
  buckets: { requests: number }[]
}

/** Request-log rows whose request arrived in [from, to] (the stats route flushes the log first). */
async function loggedRows(server: ProductionServer, from: number, to: number): Promise<number> {
  const query = new URLSearchParams({ from: String(from), to: String(to), bucket: 'minute' })
  const response = await fetch(`${server.target.origin}/api/manage/stats?${query}`, {
    headers: { authorization: server.adminAuthorization },
  })
  const body = (await response.json()) as StatsBody
  return body.buckets.reduce((sum, bucket) => sum + bucket.requests, 0)
}

interface LoadWindow {
  eventLoop: EventLoopReading
  rowsPerSecond: number
  healthz: Summary
  requests: number
  errors: number
}

/** `durationMs` of closed-loop load with `connections`, event loop and /healthz watched. */
async function loadWindow(
  server: ProductionServer,
  connections: number,
  durationMs: number,
): Promise<LoadWindow> {
  const pool = poolFor(server.target, connections)
  const health = poolFor(server.target, 1)
  const healthRequest = { method: 'GET' as const, path: '/healthz' }
  let loading = true
  const healthLatencies: number[] = []
  const healthProbe = (async () => {
    while (loading) {
      healthLatencies.push(await timeToFirstByte(health, healthRequest))
      await sleep(20)
    }
  })()

  await server.resetEventLoop()
  const from = Date.now()
  const load = await closedLoop(pool, connections, durationMs, chatCompletion(server.target))
  const to = Date.now()
  const eventLoop = await server.readEventLoop()
  loading = false
  await healthProbe
  await Promise.all([pool.close(), health.close()])
  const rows = await loggedRows(server, from, to)
  return {
    eventLoop,
    rowsPerSecond: (rows * 1000) / (to - from),
    healthz: summarize(healthLatencies),
    requests: load.ok,
    errors: load.errors,
  }
}

/**
 * Event-loop delay inside the server while it proxies (and so writes request-log rows) as fast
 * as it can, at each connection count of scenario 2. Both run at about the peak rate, so the
 * target applies to each. Measured by the preloaded probe (monitorEventLoopDelay, 10 ms timer)
 * and, from outside, by the latency of `GET /healthz` sampled every 20 ms on its own connection.
 */
export async function measureEventLoop(
  server: ProductionServer,
  levels: readonly number[],
  durationMs: number,
): Promise<{ figures: Figure[]; details: Record<string, unknown> }> {
  const figures: Figure[] = []
  const details: Record<string, unknown> = { durationMs }
  const target = { op: '<=', limit: EVENT_LOOP_P99_TARGET_MS } as const
  for (const connections of levels) {
    const window = await loadWindow(server, connections, durationMs)
    const at = `${connections} conns`
    figures.push(
      figure(SCENARIO, `event-loop delay p99, ${at}`, window.eventLoop.p99Ms, 'ms', target),
      figure(SCENARIO, `request-log rows written, ${at}`, window.rowsPerSecond, 'rows/s'),
      figure(SCENARIO, `/healthz latency p99, ${at}`, window.healthz.p99, 'ms'),
    )
    details[at] = {
      requests: window.requests,
      errors: window.errors,
      eventLoopP50Ms: rounded(window.eventLoop.p50Ms),
      eventLoopMaxMs: rounded(window.eventLoop.maxMs),
      eventLoopSamples: window.eventLoop.samples,
      healthzP50Ms: rounded(window.healthz.p50),
    }
  }
  return { figures, details }
}
