import { setTimeout as sleep } from 'node:timers/promises'
import { type Figure, figure } from '../lib/figures.js'
import { chatCompletion, closedLoop, poolFor, timeToFirstByte } from '../lib/load.js'
import type { EventLoopReading, ProbeClient } from '../lib/probe.js'
import { rounded, type Summary, summarize } from '../lib/stats.js'
import type { ProductionServer } from '../targets/production-server.js'
import type { Target } from '../targets/target.js'

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
  healthz: Summary
  requests: number
  errors: number
  from: number
  to: number
}

/** A server under load whose event loop the preloaded probe reads. */
interface WatchedServer {
  target: Target
  probe: ProbeClient
}

/** `durationMs` of closed-loop load with `connections`, event loop and /healthz watched. */
async function loadWindow(
  { target, probe }: WatchedServer,
  connections: number,
  durationMs: number,
): Promise<LoadWindow> {
  const pool = poolFor(target, connections)
  const health = poolFor(target, 1)
  const healthRequest = { method: 'GET' as const, path: '/healthz' }
  let loading = true
  const healthLatencies: number[] = []
  const healthProbe = (async () => {
    while (loading) {
      healthLatencies.push(await timeToFirstByte(health, healthRequest))
      await sleep(20)
    }
  })()

  await probe.resetEventLoop()
  const from = Date.now()
  const load = await closedLoop(pool, connections, durationMs, chatCompletion(target))
  const to = Date.now()
  const eventLoop = await probe.readEventLoop()
  loading = false
  await healthProbe
  await Promise.all([pool.close(), health.close()])
  return {
    eventLoop,
    healthz: summarize(healthLatencies),
    requests: load.ok,
    errors: load.errors,
    from,
    to,
  }
}

/**
 * Event-loop delay inside the server while it proxies (and so writes request-log rows) as fast
 * as it can, at each connection count of scenario 2. Both run at about the peak rate, so the
 * target applies to each. Measured by the preloaded probe (monitorEventLoopDelay, 10 ms timer)
 * and, from outside, by the latency of `GET /healthz` sampled every 20 ms on its own connection.
 * The `@fastify/http-proxy` baseline (same probe) runs the same load right after, for comparison:
 * what a saturated Node.js proxy's loop shows without any request log.
 */
export async function measureEventLoop(
  server: ProductionServer,
  baseline: WatchedServer,
  levels: readonly number[],
  durationMs: number,
): Promise<{ figures: Figure[]; details: Record<string, unknown> }> {
  const figures: Figure[] = []
  const details: Record<string, unknown> = { durationMs }
  const target = { op: '<=', limit: EVENT_LOOP_P99_TARGET_MS } as const
  for (const connections of levels) {
    const window = await loadWindow(
      { target: server.target, probe: server },
      connections,
      durationMs,
    )
    const rows = await loggedRows(server, window.from, window.to)
    const compared = await loadWindow(baseline, connections, durationMs)
    const at = `${connections} conns`
    figures.push(
      figure(SCENARIO, `event-loop delay p99, ${at}`, window.eventLoop.p99Ms, 'ms', target),
      figure(
        SCENARIO,
        `request-log rows written, ${at}`,
        (rows * 1000) / (window.to - window.from),
        'rows/s',
      ),
      figure(SCENARIO, `/healthz latency p99, ${at}`, window.healthz.p99, 'ms'),
      figure(SCENARIO, `baseline: event-loop delay p99, ${at}`, compared.eventLoop.p99Ms, 'ms'),
      figure(SCENARIO, `baseline: /healthz latency p99, ${at}`, compared.healthz.p99, 'ms'),
    )
    details[at] = {
      requests: window.requests,
      errors: window.errors,
      eventLoopP50Ms: rounded(window.eventLoop.p50Ms),
      eventLoopMaxMs: rounded(window.eventLoop.maxMs),
      eventLoopSamples: window.eventLoop.samples,
      healthzP50Ms: rounded(window.healthz.p50),
      baseline: {
        requests: compared.requests,
        errors: compared.errors,
        eventLoopP50Ms: rounded(compared.eventLoop.p50Ms),
        eventLoopMaxMs: rounded(compared.eventLoop.maxMs),
      },
    }
  }
  return { figures, details }
}
