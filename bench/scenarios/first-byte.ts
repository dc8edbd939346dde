import { type Figure, figure } from '../lib/figures.js'
import { chatCompletion, poolFor, rotated, timeToFirstByte } from '../lib/load.js'
import type { ProbeClient, StageStretch } from '../lib/probe.js'
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

export interface RoundFigures {
  p50: number
  p99: number
}

export interface FirstByteRoundsOptions extends FirstByteOptions {
  /**
   * `blocks` (default): in each round, `requestsPerRound` requests to one target, then to the
   * next (order rotated every round). `requests`: the targets take turns request by request (the
   * order rotated at every turn, so none is always first), so that each pair of requests meets
   * the same state of the machine.
   */
  interleave?: 'blocks' | 'requests'
  /** Called once the warm-up requests are done, before the first measured round. */
  afterWarmup?: () => Promise<void>
}

/**
 * Time to first body byte of sequential non-streaming chat completions, one keep-alive
 * connection per target, `warmupRequests` per target first (not measured; in turns, as the
 * rounds), then `rounds` rounds across all targets. Returns, per target in the order given, its p50 and p99 in each round.
 */
export async function firstByteRounds(
  targets: readonly Target[],
  options: FirstByteRoundsOptions,
): Promise<RoundFigures[][]> {
  const pools = targets.map((target) => poolFor(target, 1))
  const requests = targets.map((target) => chatCompletion(target))
  const indices = targets.map((_, i) => i)
  const sample = (i: number) => {
    const pool = pools[i]
    const request = requests[i]
    if (pool === undefined || request === undefined) throw new Error(`no target ${i}`)
    return timeToFirstByte(pool, request)
  }
  /** One round: `requestsPerRound` requests to each target, in the order `interleave` says. */
  const runRound = async (round: number, requestsPerRound: number): Promise<number[][]> => {
    const samples: number[][] = targets.map(() => [])
    if (options.interleave === 'requests') {
      for (let n = 0; n < requestsPerRound; n++) {
        for (const i of rotated(indices, round + n)) samples[i]?.push(await sample(i))
      }
    } else {
      for (const i of rotated(indices, round)) {
        for (let n = 0; n < requestsPerRound; n++) samples[i]?.push(await sample(i))
      }
    }
    return samples
  }
  const rounds: RoundFigures[][] = targets.map(() => [])
  try {
    // The warm-up takes turns as the rounds do: a target warmed whole before the others would
    // sit idle through their warm-up, and come back to the rounds with sockets and code gone cold.
    for (let left = options.warmupRequests; left > 0; left -= options.requestsPerRound) {
      await runRound(left, Math.min(left, options.requestsPerRound))
    }
    await options.afterWarmup?.()
    for (let round = 0; round < options.rounds; round++) {
      const samples = await runRound(round, options.requestsPerRound)
      for (const i of indices) {
        const { p50, p99 } = summarize(samples[i] ?? [])
        rounds[i]?.push({ p50, p99 })
      }
    }
  } finally {
    await Promise.all(pools.map((pool) => pool.close()))
  }
  return rounds
}

/** Median over rounds of `pick(target's round) − pick(base's same round)`. */
export function addedOver(
  target: readonly RoundFigures[],
  base: readonly RoundFigures[],
  pick: (round: RoundFigures) => number,
): number {
  return median(target.map((same, i) => pick(same) - pick(base[i] ?? same)))
}

export const pickP50 = (figures: RoundFigures) => figures.p50
export const pickP99 = (figures: RoundFigures) => figures.p99

/**
 * Four figures of one comparison: the base's p50 and p99, and what the other path adds over it
 * (median over rounds), the p50 held to `p50Target` ms when given.
 */
export function addedFirstByteFigures(
  scenario: string,
  names: { base: string; added: string },
  base: readonly RoundFigures[],
  other: readonly RoundFigures[],
  p50Target?: number,
): Figure[] {
  return [
    figure(scenario, `${names.base}: TTFB p50`, median(base.map(pickP50)), 'ms'),
    figure(scenario, `${names.base}: TTFB p99`, median(base.map(pickP99)), 'ms'),
    figure(
      scenario,
      `${names.added}, p50`,
      addedOver(other, base, pickP50),
      'ms',
      p50Target === undefined ? undefined : { op: '<=', limit: p50Target },
    ),
    figure(scenario, `${names.added}, p99`, addedOver(other, base, pickP99), 'ms'),
  ]
}

/** Per-round figures for the results file. */
export function roundDetails(list: readonly RoundFigures[]) {
  return {
    roundP50Ms: list.map((r) => rounded(r.p50)),
    roundP99Ms: list.map((r) => rounded(r.p99)),
  }
}

/**
 * Added time to first body byte: sequential non-streaming chat completions, one connection per
 * target, rounds interleaved across the targets (order rotated each round). For each round and
 * target the p50 and p99; the figure is the median over rounds of (proxy − direct).
 */
export async function measureFirstByte(
  targets: readonly Target[],
  options: FirstByteOptions,
  /** Servers with the stage probe (`--stages`): where their time went is added. */
  probed: Partial<Record<TargetName, ProbeClient>> = {},
): Promise<{ figures: Figure[]; details: Record<string, unknown> }> {
  const probes = Object.entries(probed)
  const afterWarmup = async () => {
    await Promise.all(probes.map(([, probe]) => probe.resetStages()))
  }
  const measured = await firstByteRounds(targets, { ...options, afterWarmup })
  const rounds = new Map<TargetName, RoundFigures[]>(
    targets.map((target, i) => [target.name, measured[i] ?? []]),
  )
  const direct = rounds.get('direct') ?? []
  /** Median over rounds of this target's figure minus direct's in the same round. */
  const added = (name: TargetName, pick: (round: RoundFigures) => number) =>
    addedOver(rounds.get(name) ?? [], direct, pick)

  const figures = [
    figure(SCENARIO, 'direct to upstream, p50', median(direct.map(pickP50)), 'ms'),
    figure(SCENARIO, 'direct to upstream, p99', median(direct.map(pickP99)), 'ms'),
    figure(SCENARIO, 'proxy overhead over direct, p50', added('proxy', pickP50), 'ms', {
      op: '<=',
      limit: OVERHEAD_P50_TARGET_MS,
    }),
    figure(SCENARIO, 'proxy overhead over direct, p99', added('proxy', pickP99), 'ms', {
      op: '<=',
      limit: OVERHEAD_P99_TARGET_MS,
    }),
  ]
  for (const name of ['baseline', 'nginx'] as const) {
    if (!rounds.has(name)) continue
    figures.push(
      figure(SCENARIO, `${name} overhead over direct, p50`, added(name, pickP50), 'ms'),
      figure(SCENARIO, `${name} overhead over direct, p99`, added(name, pickP99), 'ms'),
    )
  }
  const stretches: Record<string, StageStretch[]> = {}
  for (const [name, probe] of probes) {
    stretches[name] = await probe.readStages()
    figures.push(...stageFigures(name, stretches[name]))
  }
  const details = Object.fromEntries([...rounds].map(([name, list]) => [name, roundDetails(list)]))
  return { figures, details: { ...options, byTarget: details, stretches } }
}

/** One figure per stretch of a server's requests (the stage probe's), p50, p90 and p99 in ms. */
function stageFigures(name: string, stretches: readonly StageStretch[]): Figure[] {
  return stretches.flatMap(({ from, to, p50Us, p90Us, p99Us }) => [
    figure(SCENARIO, `${name}: ${from} → ${to}, p50`, (p50Us ?? Number.NaN) / 1000, 'ms'),
    figure(SCENARIO, `${name}: ${from} → ${to}, p90`, (p90Us ?? Number.NaN) / 1000, 'ms'),
    figure(SCENARIO, `${name}: ${from} → ${to}, p99`, (p99Us ?? Number.NaN) / 1000, 'ms'),
  ])
}
