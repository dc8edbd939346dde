import { type Figure, figure } from '../lib/figures.js'
import { chatCompletion, poolFor, rotated, timeToFirstByte } from '../lib/load.js'
import { median, rounded, summarize } from '../lib/stats.js'
import type { Target, TargetName } from '../targets/target.js'

const SCENARIO = '1 first byte'
export const OVERHEAD_P50_TARGET_MS = 0.5
export const OVERHEAD_P99_TARGET_MS = 2

export interface FirstByteOptions {
  rounds: number
  requestsPerRound: number
  warmupRequests: number
}

interface RoundFigures {
  p50: number
  p99: number
}

/**
 * Added time to first body byte: sequential non-streaming chat completions, one connection per
 * target, rounds interleaved across the targets (order rotated each round). For each round and
 * target the p50 and p99; the figure is the median over rounds of (proxy − direct).
 */
export async function measureFirstByte(
  targets: readonly Target[],
  options: FirstByteOptions,
): Promise<{ figures: Figure[]; details: Record<string, unknown> }> {
  const pools = new Map(targets.map((target) => [target.name, poolFor(target, 1)]))
  const rounds = new Map<TargetName, RoundFigures[]>(targets.map((target) => [target.name, []]))
  const run = async (target: Target, count: number) => {
    const pool = pools.get(target.name)
    if (pool === undefined) throw new Error(`no pool for ${target.name}`)
    const request = chatCompletion(target)
    const samples: number[] = []
    for (let i = 0; i < count; i++) samples.push(await timeToFirstByte(pool, request))
    return summarize(samples)
  }

  for (const target of targets) await run(target, options.warmupRequests)
  for (let index = 0; index < options.rounds; index++) {
    for (const target of rotated(targets, index)) {
      const { p50, p99 } = await run(target, options.requestsPerRound)
      rounds.get(target.name)?.push({ p50, p99 })
    }
  }
  await Promise.all([...pools.values()].map((pool) => pool.close()))

  const direct = rounds.get('direct') ?? []
  /** Median over rounds of this target's figure minus direct's in the same round. */
  const added = (name: TargetName, pick: (round: RoundFigures) => number) =>
    median((rounds.get(name) ?? []).map((same, i) => pick(same) - pick(direct[i] ?? same)))
  const p50 = (figures: RoundFigures) => figures.p50
  const p99 = (figures: RoundFigures) => figures.p99

  const figures = [
    figure(SCENARIO, 'direct to upstream, p50', median(direct.map(p50)), 'ms'),
    figure(SCENARIO, 'direct to upstream, p99', median(direct.map(p99)), 'ms'),
    figure(SCENARIO, 'proxy overhead over direct, p50', added('proxy', p50), 'ms', {
      op: '<=',
      limit: OVERHEAD_P50_TARGET_MS,
    }),
    figure(SCENARIO, 'proxy overhead over direct, p99', added('proxy', p99), 'ms', {
      op: '<=',
      limit: OVERHEAD_P99_TARGET_MS,
    }),
  ]
  for (const name of ['baseline', 'nginx'] as const) {
    if (!rounds.has(name)) continue
    figures.push(
      figure(SCENARIO, `${name} overhead over direct, p50`, added(name, p50), 'ms'),
      figure(SCENARIO, `${name} overhead over direct, p99`, added(name, p99), 'ms'),
    )
  }
  const details = Object.fromEntries(
    [...rounds].map(([name, list]) => [
      name,
      { roundP50Ms: list.map((r) => rounded(r.p50)), roundP99Ms: list.map((r) => rounded(r.p99)) },
    ]),
  )
  return { figures, details: { ...options, byTarget: details } }
}
