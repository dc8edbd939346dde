import { join } from 'node:path'
import type { BenchChild } from './processes.js'
import { REPO_ROOT } from './repo.js'

/** Preloaded with `node --import` into a server the bench starts (see probe/event-loop-probe.mjs). */
export const PROBE = join(REPO_ROOT, 'bench/probe/event-loop-probe.mjs')
/** Preloaded as well with `pnpm bench --stages` (see probe/stage-probe.mjs). */
export const STAGE_PROBE = join(REPO_ROOT, 'bench/probe/stage-probe.mjs')

export interface EventLoopReading {
  samples: number
  p50Ms: number
  p99Ms: number
  maxMs: number
}

/** One stretch of a proxied request inside a server, over the requests since the last reset. */
export interface StageStretch {
  from: string
  to: string
  requests: number
  p50Us: number | null
  p90Us: number | null
  p99Us: number | null
}

/** What the probe answers, over the IPC channel of a child started with `ipc: true`. */
export interface ProbeClient {
  /** Restart the in-process event-loop histogram. */
  resetEventLoop(): Promise<void>
  readEventLoop(): Promise<EventLoopReading>
  /** `process.memoryUsage()` inside the server. */
  readMemory(): Promise<NodeJS.MemoryUsage>
  /** The same after a full garbage collection (the probe's `gc()`): what is live. */
  collectAndReadMemory(): Promise<NodeJS.MemoryUsage>
  /** Only when the stage probe is preloaded too (`--stages`): forget the stretches so far. */
  resetStages(): Promise<void>
  readStages(): Promise<StageStretch[]>
}

export function probeClient(child: BenchChild): ProbeClient {
  /** One question to the probe; its answer carries the same `kind`. */
  const ask = <T>(kind: string) =>
    new Promise<T>((resolve) => {
      const onMessage = (answer: unknown) => {
        if ((answer as { kind?: unknown }).kind !== kind) return
        child.child.off('message', onMessage)
        resolve(answer as T)
      }
      child.child.on('message', onMessage)
      child.child.send(kind)
    })
  return {
    resetEventLoop: async () => {
      await ask('event-loop:reset')
    },
    readEventLoop: () => ask<EventLoopReading>('event-loop:read'),
    readMemory: () => ask<NodeJS.MemoryUsage>('memory:read'),
    collectAndReadMemory: () => ask<NodeJS.MemoryUsage>('memory:collect'),
    resetStages: async () => {
      await ask('stages:reset')
    },
    readStages: async () => (await ask<{ stretches: StageStretch[] }>('stages:read')).stretches,
  }
}
