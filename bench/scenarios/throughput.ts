import { setTimeout as sleep } from 'node:timers/promises'
import type { Dispatcher } from 'undici'
import { type Figure, figure } from '../lib/figures.js'
import {
  chatCompletion,
  closedLoop,
  combineRuns,
  type LoadResult,
  type LoadSummary,
  longChinesePrompt,
  poolFor,
  rotated,
} from '../lib/load.js'
import { cpuTimeMs, mainThreadCpuTimeMs } from '../lib/processes.js'
import { rounded } from '../lib/stats.js'
import type { Target, TargetName } from '../targets/target.js'

const SCENARIO = '2 throughput'

export interface ThroughputOptions {
  connectionLevels: readonly number[]
  rounds: number
  roundDurationMs: number
  warmupMs: number
  /**
   * Idle time after each burst, counted in that target's CPU: what a burst leaves behind (GC,
   * writes behind, the load's own garbage) is its own, not the next target's. Without it, the
   * target that followed the baseline in every round answered 10-20 % less than the same server
   * elsewhere in the order (bench/README.md "Eleventh pass").
   */
  settleMs: number
  /**
   * One more level, proxy and baseline only: chat completions whose prompt is this many KB of
   * Chinese text, what long conversations send. The proxy reads the body's `model` and `stream`,
   * the baseline pipes it.
   */
  longPrompt: { connections: number; kilobytes: number }
}

export interface ThroughputResult {
  figures: Figure[]
  details: Record<string, unknown>
}

/** A target's main-thread CPU per request, in µs (NaN where not measured). */
const mainUs = (summary: LoadSummary) => summary.mainThreadCpuMsPerRequest * 1000

/**
 * Non-streaming chat completions from `connections` clients in a closed loop, for each target
 * in turn, rounds interleaved (order rotated). The proxy runs with DISPATCH_CONCURRENCY and
 * DISPATCH_QUEUE_MAX raised, so the queue never refuses; its throughput must at least equal the
 * @fastify/http-proxy baseline's. A `proxy-no-checks` target, when given, is the same server
 * without the balance check after every N successes (a contract behaviour the baseline lacks):
 * its figures, from the same rounds, say what that check costs. Then proxy and baseline alone
 * with a long Chinese prompt (`longPrompt`), where reading the body is most of the proxy's work.
 */
export async function measureThroughput(
  targets: readonly Target[],
  options: ThroughputOptions,
): Promise<ThroughputResult> {
  const figures: Figure[] = []
  const details: Record<string, unknown> = {}

  for (const connections of options.connectionLevels) {
    const summaries = await interleavedLoad(targets, connections, chatCompletion, options)
    const { proxy, baseline } = proxyAndBaseline(summaries)
    const at = `${connections} conns`
    figures.push(
      figure(SCENARIO, `proxy throughput, ${at}`, proxy.requestsPerSecond, 'req/s', {
        op: '>=',
        limit: baseline.requestsPerSecond,
        text: '>= baseline',
      }),
      figure(SCENARIO, `proxy latency p99, ${at}`, proxy.latency.p99, 'ms'),
      figure(SCENARIO, `proxy CPU per request, ${at}`, proxy.cpuMsPerRequest * 1000, 'µs'),
      figure(SCENARIO, `proxy CPU per request, main thread, ${at}`, mainUs(proxy), 'µs'),
      figure(SCENARIO, `proxy errors, ${at}`, proxy.errors, '', { op: '<=', limit: 0 }),
    )
    const withoutChecks = summaries.get('proxy-no-checks')
    if (withoutChecks !== undefined) {
      const ratio = (summary: LoadSummary) => summary.requestsPerSecond / baseline.requestsPerSecond
      figures.push(
        figure(SCENARIO, `proxy over baseline, throughput, ${at}`, ratio(proxy), 'x'),
        figure(
          SCENARIO,
          `proxy, balance checks off, over baseline, throughput, ${at}`,
          ratio(withoutChecks),
          'x',
        ),
      )
    }
    for (const name of ['proxy-no-checks', 'baseline', 'direct', 'nginx'] as const) {
      const summary = summaries.get(name)
      if (summary === undefined) continue
      figures.push(
        figure(SCENARIO, `${name} throughput, ${at}`, summary.requestsPerSecond, 'req/s'),
        figure(SCENARIO, `${name} latency p99, ${at}`, summary.latency.p99, 'ms'),
      )
      if (!Number.isNaN(summary.cpuMsPerRequest)) {
        const cpuUs = summary.cpuMsPerRequest * 1000
        figures.push(figure(SCENARIO, `${name} CPU per request, ${at}`, cpuUs, 'µs'))
      }
      if (!Number.isNaN(summary.mainThreadCpuMsPerRequest)) {
        const label = `${name} CPU per request, main thread, ${at}`
        figures.push(figure(SCENARIO, label, mainUs(summary), 'µs'))
      }
    }
    details[String(connections)] = Object.fromEntries(
      [...summaries].map(([name, summary]) => [name, summaryDetails(summary)]),
    )
  }
  const { connections, kilobytes } = options.longPrompt
  const compared = targets.filter(({ name }) => name === 'proxy' || name === 'baseline')
  const prompt = longChinesePrompt(kilobytes)
  const request = (target: Target) => chatCompletion(target, false, prompt)
  const summaries = await interleavedLoad(compared, connections, request, options)
  const { proxy, baseline } = proxyAndBaseline(summaries)
  const at = `${connections} conns, ${kilobytes} KB Chinese prompt`
  figures.push(
    figure(SCENARIO, `proxy throughput, ${at}`, proxy.requestsPerSecond, 'req/s'),
    figure(SCENARIO, `proxy CPU per request, main thread, ${at}`, mainUs(proxy), 'µs'),
    figure(SCENARIO, `proxy errors, ${at}`, proxy.errors, '', { op: '<=', limit: 0 }),
    figure(SCENARIO, `baseline throughput, ${at}`, baseline.requestsPerSecond, 'req/s'),
    figure(SCENARIO, `baseline CPU per request, main thread, ${at}`, mainUs(baseline), 'µs'),
  )
  const longPromptLoad = Object.fromEntries(
    [...summaries].map(([name, summary]) => [name, summaryDetails(summary)]),
  )
  return { figures, details: { ...options, byConnections: details, longPromptLoad } }
}

/**
 * Bursts of `request` from `connections` clients in a closed loop, for each target in turn,
 * rounds interleaved (order rotated), each burst followed by the settling pause; after a
 * warm-up per target that is not measured. Every target's runs, combined.
 */
async function interleavedLoad(
  targets: readonly Target[],
  connections: number,
  request: (target: Target) => Dispatcher.RequestOptions,
  options: ThroughputOptions,
): Promise<Map<TargetName, LoadSummary>> {
  const pools = new Map(targets.map((target) => [target.name, poolFor(target, connections)]))
  const runs = new Map<TargetName, LoadResult[]>(targets.map((target) => [target.name, []]))
  const load = async (target: Target, durationMs: number): Promise<LoadResult> => {
    const pool = pools.get(target.name)
    if (pool === undefined) throw new Error(`no pool for ${target.name}`)
    const { pid } = target
    // nginx's main process only hands the work to its worker: no main thread worth a figure.
    const node = pid !== undefined && target.name !== 'nginx'
    const cpuBefore = pid === undefined ? Number.NaN : cpuTimeMs(pid)
    const mainBefore = node ? mainThreadCpuTimeMs(pid) : Number.NaN
    const result = await closedLoop(pool, connections, durationMs, request(target))
    await sleep(options.settleMs)
    const targetCpuMs = pid === undefined ? Number.NaN : cpuTimeMs(pid) - cpuBefore
    const targetMainThreadCpuMs = node ? mainThreadCpuTimeMs(pid) - mainBefore : Number.NaN
    return { ...result, targetCpuMs, targetMainThreadCpuMs }
  }
  for (const target of targets) await load(target, options.warmupMs)
  for (let index = 0; index < options.rounds; index++) {
    for (const target of rotated(targets, index)) {
      runs.get(target.name)?.push(await load(target, options.roundDurationMs))
    }
  }
  await Promise.all([...pools.values()].map((pool) => pool.close()))
  return new Map([...runs].map(([name, list]) => [name, combineRuns(list)]))
}

/** The two summaries every level compares; a level without either is a mistake of the caller. */
function proxyAndBaseline(summaries: ReadonlyMap<TargetName, LoadSummary>) {
  const proxy = summaries.get('proxy')
  const baseline = summaries.get('baseline')
  if (proxy === undefined || baseline === undefined) throw new Error('proxy and baseline needed')
  return { proxy, baseline }
}

function summaryDetails(summary: LoadSummary) {
  return {
    requestsPerSecond: rounded(summary.requestsPerSecond, 0),
    errors: summary.errors,
    p50Ms: rounded(summary.latency.p50),
    p99Ms: rounded(summary.latency.p99),
    cpuUsPerRequest: rounded(summary.cpuMsPerRequest * 1000, 0),
    mainThreadCpuUsPerRequest: rounded(mainUs(summary), 0),
  }
}
