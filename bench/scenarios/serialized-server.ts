import { setTimeout as sleep } from 'node:timers/promises'
import type { ExchangeTiming, MockUpstream } from '@sfp/test-support/upstream'
import { type Figure, figure } from '../lib/figures.js'
import { liveMemory } from '../lib/live-memory.js'
import { chatCompletion, poolFor } from '../lib/load.js'
import { rounded, summarize } from '../lib/stats.js'
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

  const exchanges: ExchangeTiming[] = []
  const stopWatching = upstream.watchExchanges((exchange) => exchanges.push(exchange))
  const drainStart = performance.now()
  leave.abort()
  const statuses = await Promise.all(answers)
  const drainMs = performance.now() - drainStart
  stopWatching()
  const handOff = summarize(handOffGaps(exchanges))
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
    figure(SCENARIO, 'server: upstream answer end → next upstream call, p50', handOff.p50, 'ms'),
    figure(SCENARIO, 'server: upstream answer end → next upstream call, p99', handOff.p99, 'ms'),
  ]
  return {
    figures,
    details: { count, failed, peakQueued, drainMs: rounded(drainMs, 0), handOff },
  }
}

/**
 * The hand-off as the upstream sees it, one slot: from the end of one exchange to the arrival of
 * the next (the slot's release and the next holder's start lie in between, with the proxy's own
 * work around them: delivering the last bytes, choosing the key, sending the request). An upper
 * bound of the gate's release → next start, measured on the production server.
 */
function handOffGaps(exchanges: ExchangeTiming[]): number[] {
  const ordered = [...exchanges].sort((a, b) => a.receivedAt - b.receivedAt)
  const gaps: number[] = []
  for (let i = 1; i < ordered.length; i++) {
    const previous = ordered[i - 1]
    const next = ordered[i]
    // Overlap means the two were not one after the other (the holder's abort): not a hand-off.
    if (previous && next && next.receivedAt >= previous.endedAt) {
      gaps.push(next.receivedAt - previous.endedAt)
    }
  }
  return gaps
}
