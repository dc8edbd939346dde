import { setTimeout as sleep } from 'node:timers/promises'
import type { ProductionServer } from '../targets/production-server.js'
import type { Target } from '../targets/target.js'
import { type LiveMemory, liveMemory } from './live-memory.js'
import { poolFor } from './load.js'
import { residentBytes } from './processes.js'
import { readStream, type StreamResult } from './sse-client.js'

export interface Batch {
  results: StreamResult[]
  /** Peak RSS, sampled every 50 ms while all streams were open (NaN: not watched, or never). */
  peakRssBytes: number
  /** Live memory once all streams were open (undefined: not asked, or they never all were). */
  live: LiveMemory | undefined
}

export interface BatchWatch {
  server: ProductionServer
  /**
   * Collect garbage in the server once all streams are open and read its live memory. The
   * collection pauses the server: not in a batch whose latency is measured.
   */
  collect: boolean
}

/** Open `count` streams evenly over `openOverMs` and read them to the end. */
export async function streamBatch(
  target: Target,
  count: number,
  openOverMs: number,
  watch?: BatchWatch,
): Promise<Batch> {
  const pool = poolFor(target, count)
  let open = 0
  let finished = 0
  let peakRssBytes = Number.NaN
  let live: Promise<LiveMemory | undefined> = Promise.resolve(undefined)
  const allOpen = () => open === count && finished === 0
  const sample = () => {
    if (watch === undefined || !allOpen()) return
    const rss = residentBytes(watch.server.process.pid)
    peakRssBytes = Math.max(Number.isNaN(peakRssBytes) ? 0 : peakRssBytes, rss)
  }
  const sampler = setInterval(sample, 50)
  const onFirstByte = () => {
    open += 1
    if (!allOpen() || watch === undefined) return
    sample()
    if (watch.collect) {
      live = liveMemory(watch.server).then((memory) => (allOpen() ? memory : undefined))
    }
  }
  const results = await Promise.all(
    Array.from({ length: count }, async (_, index) => {
      await sleep((index * openOverMs) / count)
      const result = await readStream(pool, target, onFirstByte)
      finished += 1
      return result
    }),
  )
  clearInterval(sampler)
  await pool.close()
  return { results, peakRssBytes, live: await live }
}
