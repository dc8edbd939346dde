import { setTimeout as sleep } from 'node:timers/promises'
import { type Figure, figure } from '../lib/figures.js'
import { liveMemory } from '../lib/live-memory.js'
import { rotated } from '../lib/load.js'
import { residentBytes } from '../lib/processes.js'
import type { StreamResult } from '../lib/sse-client.js'
import { median, rounded, type Summary, summarize } from '../lib/stats.js'
import { type Batch, streamBatch } from '../lib/stream-batch.js'
import type { ProductionServer } from '../targets/production-server.js'
import type { Target } from '../targets/target.js'

const SCENARIO = '3 SSE streams'
export const RSS_PER_STREAM_TARGET_KB = 50

export interface StreamsOptions {
  streams: number
  warmupStreams: number
  /** Latency batches per target, interleaved round by round (order rotated). */
  latencyRounds: number
  /**
   * Streams are opened evenly over this long, as clients arrive, rather than in one instant
   * burst (the look-alike's streams must outlast it, so that all are open at once).
   */
  openOverMs: number
}

const complete = (result: StreamResult, expectedEvents: number) =>
  result.status === 200 && result.done && !result.failed && result.events === expectedEvents

/**
 * 1,000 concurrent streaming chat completions through each target, one batch after another.
 * Memory: the proxy's live RSS (after a full collection) with all streams open, minus its live
 * RSS idle after a warm-up batch of the same size, in a batch of its own (the collection pauses
 * the server). Latency: each event's trip, timed against the upstream's send stamp, in rounds
 * of one batch per target (order rotated each round); a p99 is the median of the rounds' p99s,
 * and the proxy's added latency the median of the rounds' (proxy − direct) differences.
 */
export async function measureStreams(
  direct: Target,
  proxy: ProductionServer,
  others: readonly Target[],
  options: StreamsOptions,
): Promise<{ figures: Figure[]; details: Record<string, unknown> }> {
  const reference = await streamBatch(direct, 1, 0)
  const expectedEvents = reference.results[0]?.events ?? Number.NaN
  const { streams, openOverMs } = options

  // Idle after a small warm-up (JIT code, first allocations); both readings after a full
  // collection, so that they hold what is live rather than how much garbage awaits collection.
  const freshRssBytes = residentBytes(proxy.process.pid)
  await streamBatch(proxy.target, options.warmupStreams, openOverMs)
  await sleep(1000)
  const idle = await liveMemory(proxy)
  const memory = await streamBatch(proxy.target, streams, openOverMs, {
    server: proxy,
    collect: true,
  })

  const targets = [proxy.target, direct, ...others]
  const rounds: Map<string, Batch>[] = []
  for (let round = 0; round < options.latencyRounds; round++) {
    const batches = new Map<string, Batch>()
    for (const target of rotated(targets, round)) {
      batches.set(target.name, await streamBatch(target, streams, openOverMs))
    }
    rounds.push(batches)
  }
  // The same proxy, all streams opened in one instant: how a burst of arrivals delays events.
  const burst = await streamBatch(proxy.target, streams, 0)
  const burstTrips = summarize(burst.results.flatMap((r) => [r.firstTripMs, ...r.tripsMs]))

  const proxyBatches = rounds.map((batches) => batches.get('proxy')?.results ?? [])
  // Every stream through the proxy counts: the memory, latency and burst batches.
  const results = [...memory.results, ...proxyBatches.flat(), ...burst.results]
  const failures = results.filter((r) => r.status !== 200 || r.failed || r.errorEvent).length
  const delivered = results.reduce((sum, r) => sum + r.events, 0)
  const wholeStreams = results.filter((r) => complete(r, expectedEvents)).length
  const perStream = (bytes: number) => bytes / streams / 1000
  const rssPerStreamKb = perStream((memory.live?.rssBytes ?? Number.NaN) - idle.rssBytes)
  const heapPerStreamKb = perStream((memory.live?.heapUsedBytes ?? Number.NaN) - idle.heapUsedBytes)
  // Sampled every 50 ms while all were open: garbage included (the peak an operator sees).
  const peakPerStreamKb = perStream(memory.peakRssBytes - idle.rssBytes)
  /** Trips of the events after each stream's first (the relay's own delay), per round. */
  const trips = rounds.map(
    (batches) =>
      new Map(
        [...batches].map(([name, b]) => [name, summarize(b.results.flatMap((r) => r.tripsMs))]),
      ),
  )
  /** First events also wait for the request to be set up (auth, queue, upstream connect). */
  const firstTrips = rounds.map(
    (batches) =>
      new Map(
        [...batches].map(([name, b]) => [name, summarize(b.results.map((r) => r.firstTripMs))]),
      ),
  )
  const p99Over = (perRound: Map<string, Summary>[], name: string) =>
    median(perRound.map((summaries) => summaries.get(name)?.p99 ?? Number.NaN))
  const addedP99 = median(
    trips.map(
      (summaries) =>
        (summaries.get('proxy')?.p99 ?? Number.NaN) - (summaries.get('direct')?.p99 ?? Number.NaN),
    ),
  )

  const n = results.length
  const all = (count: number) => ({ op: '>=', limit: count, text: `all (${count})` }) as const
  const figures = [
    figure(SCENARIO, `proxy: failed streams of ${rounds.length + 2} × ${streams}`, failures, '', {
      op: '<=',
      limit: 0,
    }),
    figure(SCENARIO, 'proxy: events delivered', delivered, '', all(n * expectedEvents)),
    figure(SCENARIO, 'proxy: streams complete, [DONE] last', wholeStreams, '', all(n)),
    figure(SCENARIO, `proxy: RSS per open stream (${streams} open)`, rssPerStreamKb, 'KB', {
      op: '<=',
      limit: RSS_PER_STREAM_TARGET_KB,
    }),
    figure(SCENARIO, 'proxy: V8 heap used per open stream', heapPerStreamKb, 'KB'),
    figure(SCENARIO, 'proxy: peak RSS per open stream, garbage incl.', peakPerStreamKb, 'KB'),
    figure(SCENARIO, 'proxy: per-event trip p99 (send → client)', p99Over(trips, 'proxy'), 'ms'),
    figure(SCENARIO, 'direct: per-event trip p99', p99Over(trips, 'direct'), 'ms'),
    figure(SCENARIO, 'proxy: added per-event latency p99', addedP99, 'ms'),
    figure(
      SCENARIO,
      'proxy: first-event trip p99 (request setup incl.)',
      p99Over(firstTrips, 'proxy'),
      'ms',
    ),
    figure(SCENARIO, `proxy: event trip p99, ${streams} opened at once`, burstTrips.p99, 'ms'),
  ]
  for (const target of others) {
    figures.push(
      figure(SCENARIO, `${target.name}: per-event trip p99`, p99Over(trips, target.name), 'ms'),
    )
  }
  const percentiles = (summaries: Map<string, Summary>) =>
    Object.fromEntries(
      [...summaries].map(([name, s]) => [
        name,
        { p50: rounded(s.p50), p99: rounded(s.p99), max: rounded(s.max) },
      ]),
    )
  const details = {
    ...options,
    expectedEvents,
    freshRssMb: rounded(freshRssBytes / 2 ** 20, 1),
    idleLiveRssMb: rounded(idle.rssBytes / 2 ** 20, 1),
    openLiveRssMb: rounded((memory.live?.rssBytes ?? Number.NaN) / 2 ** 20, 1),
    openPeakRssMb: rounded(memory.peakRssBytes / 2 ** 20, 1),
    tripsMsByRound: trips.map(percentiles),
    firstEventTripsMsByRound: firstTrips.map(percentiles),
    burstTripsMs: percentiles(new Map([['proxy', burstTrips]])),
  }
  return { figures, details }
}
