import { setTimeout as sleep } from 'node:timers/promises'
import type { MockUpstream } from '../../packages/upstream-mock/src/index.js'
import { type Figure, figure } from '../lib/figures.js'
import { liveMemory } from '../lib/live-memory.js'
import { chatCompletion, poolFor } from '../lib/load.js'
import { rounded } from '../lib/stats.js'
import type { ProductionServer } from '../targets/production-server.js'
import { SCENARIO } from './serialized.js'

interface StatusBody {
  dispatch: { queued: number }
}

const MB = 2 ** 20

/**
 * Serialized mode in the production server (default DISPATCH_CONCURRENCY=1). A streaming request
 * holds the one slot (the look-alike drips it slowly) while `count` requests arrive, one
 * connection each, and wait in the queue; once all are queued (admin status), the holder's
 * client leaves, which must free the slot at once, and the queue drains one by one. Every queued
 * request must be answered 200. Memory is read after a full collection (what is live).
 */
export async function measureQueuedServer(
  server: ProductionServer,
  upstream: MockUpstream,
  count: number,
): Promise<{ figures: Figure[]; details: Record<string, unknown> }> {
  const queued = async () => {
    const response = await fetch(`${server.target.origin}/api/manage/status`, {
      headers: { authorization: server.adminAuthorization },
    })
    return ((await response.json()) as StatusBody).dispatch.queued
  }
  const idle = await liveMemory(server)

  // The holder: the next chat completion upstream drips one event a second (about 11 s).
  upstream.script({
    match: { path: '/v1/chat/completions' },
    fault: { kind: 'slow-drip', intervalMs: 1000 },
  })
  const holderPool = poolFor(server.target, 1)
  const leave = new AbortController()
  const holder = await holderPool.request({
    ...chatCompletion(server.target, true),
    signal: leave.signal,
  })
  const holderDone = holder.body.arrayBuffer().catch(() => undefined)

  const pool = poolFor(server.target, count)
  const request = chatCompletion(server.target)
  const answers = Array.from({ length: count }, async () => {
    try {
      const { statusCode, body } = await pool.request(request)
      await body.arrayBuffer()
      return statusCode
    } catch {
      return 0
    }
  })
  let peakQueued = 0
  for (let tries = 0; tries < 100 && peakQueued < count; tries++) {
    await sleep(100)
    peakQueued = Math.max(peakQueued, await queued())
  }
  const queuedMemory = await liveMemory(server)

  const drainStart = performance.now()
  leave.abort()
  const statuses = await Promise.all(answers)
  const drainMs = performance.now() - drainStart
  await holderDone
  await Promise.all([pool.close(), holderPool.close()])

  const failed = statuses.filter((status) => status !== 200).length
  const figures = [
    figure(SCENARIO, 'server: requests queued at once (admin status)', peakQueued, '', {
      op: '>=',
      limit: count,
      text: `all (${count})`,
    }),
    figure(SCENARIO, 'server: queued requests not answered 200', failed, '', {
      op: '<=',
      limit: 0,
    }),
    figure(
      SCENARIO,
      `server: V8 heap above idle, ${count} queued`,
      (queuedMemory.heapUsedBytes - idle.heapUsedBytes) / MB,
      'MB',
    ),
    figure(
      SCENARIO,
      `server: RSS above idle, ${count} queued (sockets incl.)`,
      (queuedMemory.rssBytes - idle.rssBytes) / MB,
      'MB',
    ),
    figure(
      SCENARIO,
      'server: serialized throughput draining the queue',
      (count * 1000) / drainMs,
      'req/s',
    ),
  ]
  return {
    figures,
    details: { count, failed, peakQueued, drainMs: rounded(drainMs, 0) },
  }
}
