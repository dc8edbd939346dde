/**
 * `pnpm bench`: the proxy under load, beside the upstream itself and plain baselines, all in one
 * run on this machine. Prints a Markdown table and writes bench/results/latest.json.
 * `pnpm bench --cluster`: cluster mode on PostgreSQL alone; writes bench/results/cluster.json.
 * See bench/README.md for what each scenario measures and how.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { startMockUpstream } from '@sfp/test-support/upstream'
import { ensureServerBuild } from './lib/build.js'
import type { Figure } from './lib/figures.js'
import {
  type BenchDatabase,
  DEFAULT_DATABASE_URL,
  describeDatabaseUrl,
  openBenchDatabase,
  PostgresUnreachable,
} from './lib/postgres.js'
import { STAGE_PROBE } from './lib/probe.js'
import type { BenchChild } from './lib/processes.js'
import { REPO_ROOT } from './lib/repo.js'
import { describeMachine, formatTable } from './lib/report.js'
import { writeResults } from './lib/results.js'
import { measureCluster } from './scenarios/cluster.js'
import { measureEventLoop } from './scenarios/event-loop.js'
import { measureFirstByte } from './scenarios/first-byte.js'
import { measureLanes } from './scenarios/lanes.js'
import { measureGate } from './scenarios/serialized.js'
import { measureQueuedServer } from './scenarios/serialized-server.js'
import { measureStreams } from './scenarios/streams.js'
import { measureThroughput } from './scenarios/throughput.js'
import { startBaseline } from './targets/baseline.js'
import { nginxAvailable, startNginx } from './targets/nginx.js'
import { startProductionServer } from './targets/production-server.js'
import type { Target } from './targets/target.js'

/** `--quick`: every scenario, much shorter, to check the bench itself; writes no results. */
const quick = process.argv.includes('--quick')
/**
 * `--only <n>` (repeatable): run only scenarios 1-6 so numbered, e.g. `--only 3` to compare a
 * change's effect on the SSE streams; like `--quick`, writes no results.
 */
const only = new Set(
  process.argv.flatMap((arg, i) => (arg === '--only' ? [process.argv[i + 1] ?? ''] : [])),
)
const runs = (scenario: string) => only.size === 0 || only.has(scenario)
/**
 * `--cluster`: only the cluster scenario (it needs PostgreSQL, the others do not), its results
 * in a file of their own; with `--quick`, shorter and none written.
 */
const clusterOnly = process.argv.includes('--cluster')
/**
 * `--stages`: the stage probe preloaded into the proxy and the baseline too, and scenario 1 adds
 * where each one's time goes, stretch by stretch (README "Stages"). It costs each request a few
 * microseconds of its own, so a run with it writes no results.
 */
const stages = process.argv.includes('--stages')
const stageArgs = stages ? ['--import', STAGE_PROBE] : []
const writesResults = !quick && !stages && (clusterOnly || only.size === 0)
const RESULTS_FILE = clusterOnly ? 'bench/results/cluster.json' : 'bench/results/latest.json'
const PLAN = {
  queued: 10_000,
  // After 300 requests of warm-up each server still compiled (V8's optimizing compiler, on its
  // helper threads) through the rounds, 200 and 219 times in 3,200 requests, each compile taking
  // a core for 1-7 ms: most of the slowest requests, and the proxy (more code on its path) met
  // more of them. After 5,000 both compile a few times, as a server in service does (README
  // "Thirteenth pass").
  firstByte: quick
    ? { rounds: 2, requestsPerRound: 50, warmupRequests: 50 }
    : { rounds: 12, requestsPerRound: 200, warmupRequests: 5000 },
  throughput: {
    connectionLevels: [10, 100],
    longPrompt: { connections: 10, kilobytes: 100 },
    ...(quick
      ? { rounds: 1, roundDurationMs: 500, warmupMs: 200, settleMs: 100 }
      : { rounds: 6, roundDurationMs: 1000, warmupMs: 3000, settleMs: 500 }),
  },
  eventLoopMs: quick ? 1000 : 5000,
  lanes: {
    parallel: quick
      ? { requests: 20, upstreamDelayMs: 100 }
      : { requests: 40, upstreamDelayMs: 300 },
    // 300 requests of warm-up left each server's round p50 falling from 2.6 to 0.8 ms over the
    // 12 rounds (JIT); after 1,500 they vary with the machine's noise, without a trend.
    firstByte: quick
      ? { rounds: 2, requestsPerRound: 50, warmupRequests: 50 }
      : { rounds: 12, requestsPerRound: 200, warmupRequests: 1500 },
  },
  streams: {
    streams: 1000,
    warmupStreams: quick ? 20 : 100,
    openOverMs: 1000,
    latencyRounds: quick ? 1 : 3,
  },
  cluster: {
    // 16 clients keep 4 lanes of one slot busy with requests queued behind each.
    throughput: quick
      ? { clients: 16, upstreamDelayMs: 300, warmupMs: 1000, durationMs: 2000 }
      : { clients: 16, upstreamDelayMs: 300, warmupMs: 3000, durationMs: 10_000 },
    // An admin's pace: each change meets two quiet instances (no echo of the last one in flight).
    propagation: { samples: quick ? 10 : 30, pollMs: 5, gapMs: 250 },
    // As scenario 6's proxy hop: two servers alternating request by request.
    firstByte: quick
      ? { rounds: 2, requestsPerRound: 50, warmupRequests: 50 }
      : { rounds: 12, requestsPerRound: 200, warmupRequests: 1500 },
  },
}
/** Extra `node` flags for the proxy servers, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`. */
const serverNodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean)
/** The same for the `@fastify/http-proxy` baseline, e.g. to profile it beside the proxy. */
const baselineNodeArgs = (process.env.BENCH_BASELINE_NODE_ARGS ?? '').split(' ').filter(Boolean)
/**
 * Extra settings for the proxy servers of scenarios 1-5, `NAME=VALUE` separated by spaces, e.g.
 * `AUTO_QUERY_BALANCE_AFTER_CALLS=0`: what one behaviour costs on a scenario's figures.
 */
const serverSettings: Record<string, string> = Object.fromEntries(
  (process.env.BENCH_SERVER_SETTINGS ?? '')
    .split(' ')
    .filter(Boolean)
    .map((setting) => {
      const at = setting.indexOf('=')
      if (at < 1) throw new Error(`BENCH_SERVER_SETTINGS: "${setting}" is not NAME=VALUE`)
      return [setting.slice(0, at), setting.slice(at + 1)]
    }),
)
const UPSTREAM_KEY = 'sk-bench-upstream-key-0001'
/**
 * Raised for scenarios 1-3 and 5 so the queue never refuses (the setting allows up to 1024,
 * docs/behaviour.md §2).
 */
const CONCURRENT = { DISPATCH_CONCURRENCY: '1024', DISPATCH_QUEUE_MAX: '20000' }

const machine = describeMachine()
console.log(`SiliconFlow Proxy benchmark: ${machine.cores} cores, Node ${machine.node}`)
const database = clusterOnly ? await openClusterDatabase() : undefined
if (clusterOnly && database === undefined) process.exit(0)
ensureServerBuild()
const started = performance.now()
const loadBefore = loadavg()[0] ?? 0
if (loadBefore > machine.cores) {
  console.warn(
    `load average ${loadBefore.toFixed(1)} > ${machine.cores} cores: figures will be skewed`,
  )
}
const figures: Figure[] = []
const details: Record<string, unknown> = {}
const take = (key: string, result: { figures: Figure[]; details: Record<string, unknown> }) => {
  figures.push(...result.figures)
  details[key] = result.details
  const seconds = ((performance.now() - started) / 1000).toFixed(0)
  console.log(`  done: ${key} (${seconds} s)`)
}

let withNginx = false
if (database === undefined) await runScenarios()
else await runCluster(database)

figures.sort((a, b) => a.scenario.localeCompare(b.scenario))
const date = new Date().toISOString()
console.log(`\n${formatTable(figures, { machine, date, loadBefore })}`)
if (writesResults) {
  writeResults(join(REPO_ROOT, RESULTS_FILE), {
    date,
    machine,
    loadAverage: { before: loadBefore, after: loadavg()[0] ?? 0 },
    durationSeconds: Math.round((performance.now() - started) / 1000),
    nginx: withNginx,
    figures,
    details,
  })
  console.log(`\nwritten: ${RESULTS_FILE}`)
}

/** Scenarios 1-6 (those `--only` names). */
async function runScenarios(): Promise<void> {
  // The gate's heap figure needs this process quiet: before the upstream and the load start.
  if (runs('4')) take('4 serialized: slot gate', await measureGate(PLAN.queued))

  const workDir = mkdtempSync(join(tmpdir(), 'sfp-bench-'))
  const children: BenchChild[] = []
  const upstream = await startMockUpstream({
    accounts: { [UPSTREAM_KEY]: { totalBalance: '1000000.00' } },
    // ~11 events over ~4 s: 1,000 streams opened over 1 s are all open at once for a while.
    sseIntervalMs: 400,
    stampSseEvents: true,
    keepRequests: false,
  })
  withNginx = nginxAvailable()
  try {
    /** `fixed`: settings BENCH_SERVER_SETTINGS does not override. */
    const server = (
      name: string,
      settings: Record<string, string>,
      fixed: Record<string, string> = {},
    ) =>
      startProductionServer({
        name,
        upstreamUrl: upstream.url,
        upstreamKey: UPSTREAM_KEY,
        settings: { ...settings, ...serverSettings, ...fixed },
        workDir,
        nodeArgs: [...serverNodeArgs, ...stageArgs],
      }).then((launched) => {
        children.push(launched.process)
        return launched
      })
    const direct: Target = {
      name: 'direct',
      origin: upstream.url,
      authorization: `Bearer ${UPSTREAM_KEY}`,
    }
    const baselineArgs = [...baselineNodeArgs, ...stageArgs]
    const baseline = await startBaseline(upstream.url, UPSTREAM_KEY, workDir, baselineArgs)
    children.push(baseline.process)
    const nginx = withNginx ? await startNginx(upstream.url, UPSTREAM_KEY, workDir) : undefined
    if (nginx) children.push(nginx.process)
    const others = [baseline.target, ...(nginx ? [nginx.target] : [])]

    if (runs('1') || runs('2') || runs('5')) {
      const proxy = await server('proxy', CONCURRENT)
      const targets = [direct, proxy.target, ...others]
      if (runs('1')) {
        const probed = stages ? { proxy, baseline: baseline.probe } : {}
        take('1 first byte', await measureFirstByte(targets, PLAN.firstByte, probed))
      }
      if (runs('2')) {
        // The same server without the balance check after every N successes, in the same
        // rounds: what that contract behaviour (which the baseline does not have) costs.
        const noChecks = await server('proxy-no-checks', CONCURRENT, {
          AUTO_QUERY_BALANCE_AFTER_CALLS: '0',
        })
        const compared = [...targets, { ...noChecks.target, name: 'proxy-no-checks' as const }]
        take('2 throughput', await measureThroughput(compared, PLAN.throughput))
        await noChecks.process.stop()
      }
      const { connectionLevels } = PLAN.throughput
      if (runs('5')) {
        const compared = { target: baseline.target, probe: baseline.probe }
        const measured = await measureEventLoop(proxy, compared, connectionLevels, PLAN.eventLoopMs)
        take('5 event loop', measured)
      }
      await proxy.process.stop()
    }

    if (runs('3')) {
      // A fresh server, so that the RSS per stream is not hidden in a heap grown by earlier load.
      const streaming = await server('proxy-streams', CONCURRENT)
      take('3 SSE streams', await measureStreams(direct, streaming, others, PLAN.streams))
      await streaming.process.stop()
    }

    if (runs('4')) {
      const serialized = await server('proxy-serialized', {
        DISPATCH_QUEUE_MAX: String(PLAN.queued + 100),
      })
      take('4 serialized: server', await measureQueuedServer(serialized, upstream, PLAN.queued))
      await serialized.process.stop()
    }

    if (runs('6')) {
      // Its own look-alikes (one with a 300 ms delay) and proxies; every server on a fresh data dir.
      const lanes = { ...PLAN.lanes, workDir, nodeArgs: serverNodeArgs }
      take('6 lanes', await measureLanes(lanes))
    }
  } finally {
    await Promise.all(children.map((child) => child.stop()))
    await upstream.close()
    rmSync(workDir, { recursive: true, force: true })
  }
}

/**
 * PostgreSQL at DATABASE_URL (default: the tests' database), or undefined, said why, when it
 * cannot be reached: the cluster run is then skipped without failing.
 */
async function openClusterDatabase(): Promise<BenchDatabase | undefined> {
  const url = process.env.DATABASE_URL || DEFAULT_DATABASE_URL
  try {
    const opened = await openBenchDatabase(url)
    console.log(`PostgreSQL: ${describeDatabaseUrl(url)} (schemas of this run dropped after it)`)
    return opened
  } catch (error) {
    if (!(error instanceof PostgresUnreachable)) throw error
    console.log(
      `PostgreSQL at ${describeDatabaseUrl(url)} is unreachable (${error.message}): the cluster scenario needs one; set DATABASE_URL=postgres://... Nothing was measured.`,
    )
    return undefined
  }
}

/** Cluster mode: its servers, proxies and look-alikes, every one stopped before it returns. */
async function runCluster(opened: BenchDatabase): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), 'sfp-bench-'))
  try {
    const options = { ...PLAN.cluster, database: opened, workDir, nodeArgs: serverNodeArgs }
    take('cluster', await measureCluster(options))
  } finally {
    await opened.close()
    rmSync(workDir, { recursive: true, force: true })
  }
}
