/**
 * Queue benchmark: heap cost of a long queue in front of the lanes and release -> next-holder
 * hand-off latency, through the real dispatch (one lane, one key, the key pool and egress
 * service on an in-memory database).
 *
 *   node --expose-gc --conditions=development --import tsx packages/dispatch/bench/lane-queue.bench.ts
 *
 * `measureSlotGate()` is what `pnpm bench` runs; it finds `gc` itself when the process was
 * started without --expose-gc.
 */
import { pathToFileURL } from 'node:url'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import {
  createEgressesRepository,
  createKeyEventsRepository,
  createSettingsStore,
  createUpstreamKeysRepository,
  openDatabase,
} from '@sfp/db'
import { createEgressService } from '@sfp/egress'
import { createKeyPool } from '@sfp/key-pool'
import { createDispatch } from '../src/dispatch.js'

export const HEAP_TARGET_MB = 20
export const HANDOFF_P99_TARGET_MS = 1

export interface SlotGateBenchResult {
  waiters: number
  heapAboveIdleMb: number
  heapMet: boolean
  handoffs: number
  handoffP50Ms: number
  handoffP99Ms: number
  handoffMet: boolean
}

function collectGarbage(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc
  if (exposed) return exposed
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN
}

const NOWHERE = 'http://127.0.0.1:9'

/** One lane (the built-in direct egress) with one key and no guard window: the queue alone. */
function newGate(queueMax: number) {
  const handle = openDatabase({ dataDir: '', fileName: ':memory:' })
  const storage = {
    upstreamKeys: createUpstreamKeysRepository(handle.db),
    keyEvents: createKeyEventsRepository(handle.db),
    settings: createSettingsStore(handle.db),
    egresses: createEgressesRepository(handle.db),
  }
  const pool = createKeyPool({
    storage,
    settings: {
      upstreamBaseUrl: NOWHERE,
      lowBalanceThreshold: 1,
      autoQueryBalanceAfterCalls: 0,
      balanceRefreshMinutes: 0,
      keyErrorThreshold: 3,
      keyErrorCooldownMinutes: 10,
      upstreamConnectTimeoutMs: 1000,
      balanceCheckTimeoutMs: 1000,
    },
  })
  pool.add({ api_key: 'sk-bench-key-000001' })
  const egress = createEgressService({
    storage,
    settings: {
      upstreamBaseUrl: NOWHERE,
      upstreamConnectTimeoutMs: 1000,
      checkTimeoutMs: 1000,
      egressDirect: true,
      egressDirectAddress: undefined,
      egressProxies: [],
      egressBlockCodes: [],
      egressBlockMinutes: 30,
    },
    keys: { rows: () => pool.rows(), bind: () => {}, unbindEgress: () => {} },
  })
  const dispatch = createDispatch({
    pool,
    egress,
    concurrency: 1,
    queueMax,
    queueTimeoutMs: 600_000,
    guardMinutes: 0,
    policy: 'wait',
  })
  return {
    acquire: (signal?: AbortSignal) => dispatch.lease({ signal }),
    status: () => dispatch.status().dispatch,
    close: () => dispatch.close(),
    async dispose() {
      dispatch.close()
      await egress.close()
      await pool.stop()
      handle.close()
    },
  }
}

/**
 * Heap used above idle with `waiters` queued. Each waiter passes its own AbortSignal, as a
 * proxied request does; the signals are made before the idle reading, since the requests own them.
 */
async function measureQueueHeap(waiters: number): Promise<number> {
  const gc = collectGarbage()
  const gate = newGate(waiters)
  const holder = await gate.acquire()
  const controllers = Array.from({ length: waiters }, () => new AbortController())
  gc()
  const idle = process.memoryUsage().heapUsed
  const pending = controllers.map((controller) => gate.acquire(controller.signal).catch(() => {}))
  gc()
  const queued = process.memoryUsage().heapUsed
  if (gate.status().queued !== waiters) throw new Error('not every waiter was queued')
  gate.close()
  await Promise.all(pending)
  holder.release()
  await gate.dispose()
  return (queued - idle) / (1024 * 1024)
}

/** Time from `release()` to the next holder's first statement, for `handoffs` hand-offs. */
async function measureHandoffs(handoffs: number): Promise<Float64Array> {
  const gate = newGate(handoffs)
  const latencies = new Float64Array(handoffs)
  let releasedAt = 0
  let index = 0
  const holder = await gate.acquire()
  const workers = Array.from({ length: handoffs }, async () => {
    const slot = await gate.acquire(new AbortController().signal)
    latencies[index++] = performance.now() - releasedAt
    releasedAt = performance.now()
    slot.release()
  })
  releasedAt = performance.now()
  holder.release()
  await Promise.all(workers)
  await gate.dispose()
  return latencies.sort()
}

export async function measureSlotGate({
  waiters = 10_000,
  handoffs = 10_000,
}: {
  waiters?: number
  handoffs?: number
} = {}): Promise<SlotGateBenchResult> {
  await measureHandoffs(1000) // warm up the JIT before anything is timed
  const heapAboveIdleMb = await measureQueueHeap(waiters)
  const latencies = await measureHandoffs(handoffs)
  const handoffP50Ms = quantile(latencies, 0.5)
  const handoffP99Ms = quantile(latencies, 0.99)
  return {
    waiters,
    heapAboveIdleMb,
    heapMet: heapAboveIdleMb <= HEAP_TARGET_MB,
    handoffs,
    handoffP50Ms,
    handoffP99Ms,
    handoffMet: handoffP99Ms <= HANDOFF_P99_TARGET_MS,
  }
}

export function formatSlotGateResult(result: SlotGateBenchResult): string {
  const verdict = (met: boolean) => (met ? 'MET' : 'MISSED')
  return [
    `heap above idle with ${result.waiters} waiters queued: ${result.heapAboveIdleMb.toFixed(2)} MB` +
      ` (target <= ${HEAP_TARGET_MB} MB): ${verdict(result.heapMet)}`,
    `release -> next start over ${result.handoffs} hand-offs: p50 ${(result.handoffP50Ms * 1000).toFixed(1)} µs,` +
      ` p99 ${(result.handoffP99Ms * 1000).toFixed(1)} µs (target p99 <= ${HANDOFF_P99_TARGET_MS} ms):` +
      ` ${verdict(result.handoffMet)}`,
  ].join('\n')
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${formatSlotGateResult(await measureSlotGate())}\n`)
}
