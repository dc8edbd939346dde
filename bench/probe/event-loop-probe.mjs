// Preloaded by the benchmark only (`node --import ./bench/probe/event-loop-probe.mjs
// apps/server/dist/server.js`): measures the event-loop delay (and reads the heap) inside the
// production server without changing its code. It answers over the IPC channel the bench opens;
// a normal start never loads this file.
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

/** A 10 ms timer, as prom-client's default event-loop-lag metric. */
const RESOLUTION_MS = 10
const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS })
histogram.enable()

/**
 * The histogram holds the time between two runs of the timer, 10 ms on an idle loop (its p50
 * reads 10.2 ms then): the delay is what exceeds the timer's interval.
 */
const delayMs = (/** @type {number} */ ns) => Math.max(0, ns / 1e6 - RESOLUTION_MS)

/** `gc()` without starting the server with --expose-gc (as packages/dispatch/bench does). */
function collectGarbage() {
  setFlagsFromString('--expose-gc')
  const gc = /** @type {() => void} */ (runInNewContext('gc'))
  gc()
}

process.on('message', (message) => {
  if (message === 'event-loop:reset') {
    histogram.reset()
    process.send?.({ kind: 'event-loop:reset' })
  } else if (message === 'memory:read') {
    process.send?.({ kind: 'memory:read', ...process.memoryUsage() })
  } else if (message === 'memory:collect') {
    // A full collection first, so that a reading holds what is live, not garbage's timing.
    collectGarbage()
    process.send?.({ kind: 'memory:collect', ...process.memoryUsage() })
  } else if (message === 'event-loop:read') {
    process.send?.({
      kind: 'event-loop:read',
      samples: histogram.count,
      p50Ms: delayMs(histogram.percentile(50)),
      p99Ms: delayMs(histogram.percentile(99)),
      maxMs: delayMs(histogram.max),
    })
  }
})
// The channel must not keep the server alive: its own shutdown decides when it exits.
process.channel?.unref()
