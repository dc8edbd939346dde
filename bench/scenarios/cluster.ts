import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { type HttpConnectProxy, startHttpConnectProxy } from '@sfp/test-support'
import type { MockUpstream } from '@sfp/test-support/upstream'
import type { Pool } from 'undici'
import { type Figure, figure } from '../lib/figures.js'
import { GUARD_MINUTES, seenSince, startLaneUpstream } from '../lib/lane-upstream.js'
import { chatCompletion, poolFor } from '../lib/load.js'
import type { BenchDatabase } from '../lib/postgres.js'
import { rounded, summarize } from '../lib/stats.js'
import { type ProductionServer, startProductionServer } from '../targets/production-server.js'
import {
  addedFirstByteFigures,
  type FirstByteOptions,
  firstByteRounds,
  roundDetails,
} from './first-byte.js'

export const SCENARIO = 'cluster'
/** Two instances with two lanes each against one with two: 2x at best. */
export const SCALE_RATIO_TARGET = 1.8
/** What the PostgreSQL path may add to the time to first byte over SQLite, p50. */
export const POSTGRES_TTFB_P50_TARGET_MS = 0.3
/** An admin change is on every instance within 2 s (docs/behaviour.md §9). */
export const PROPAGATION_TARGET_MS = 2000

/** The production default: renewals every 5 s, a lane of a dead instance free after 15 s. */
const LEASE_SECONDS = 15
/** The four proxy lanes' outgoing addresses: a source IP each (127.0.0.0/8 is loopback). */
const PROXY_ADDRESSES = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'] as const
const KEYS = [1, 2, 3, 4].map((i) => `sk-bench-cluster-key-000${i}`)

export interface ClusterOptions {
  /** Gives each group of servers a fresh schema (all dropped after the run). */
  database: BenchDatabase
  /**
   * Part 1: `clients` in a closed loop against an upstream that answers every chat completion
   * after `upstreamDelayMs`, `warmupMs` not measured, then `durationMs` measured.
   */
  throughput: { clients: number; upstreamDelayMs: number; warmupMs: number; durationMs: number }
  /**
   * Part 2: `samples` admin changes on one instance, `gapMs` apart, the other polled every
   * `pollMs`.
   */
  propagation: { samples: number; pollMs: number; gapMs: number }
  /** Part 3: SQLite against PostgreSQL, requests alternating (see `firstByteRounds`). */
  firstByte: FirstByteOptions
  /** Each server gets its own data folder in it. */
  workDir: string
  nodeArgs?: readonly string[]
}

/** What `GET /api/manage/status` says of the instances (the part the bench reads). */
interface InstancesView {
  instances: { id: string; lanes: number[]; self: boolean }[]
}

/** What `GET /api/manage/api-keys` says of a key (the part the bench reads). */
interface KeysView {
  keys: { id: number; status: string }[]
}

/** A closed loop over several servers: what came back. */
interface LoopResult {
  ok: number
  /** Answers other than 200, by status (0: no answer). */
  notOk: Record<string, number>
  elapsedMs: number
  requestsPerSecond: number
  /** 200s per server, in the order given. */
  okPerServer: number[]
  latencyMs: { p50: number; p99: number; max: number }
}

/** One measured closed loop and what the upstream saw meanwhile. */
interface ThroughputResult extends LoopResult {
  /** Chat completions per source address (one per proxy lane). */
  sources: Record<string, number>
  /** Keys per source address: each lane keeps its one key. */
  keysBySource: Record<string, string[]>
  violations: { concurrency: number; keySwitch: number; keyMove: number }
}

/** A Prometheus histogram read from /metrics: cumulative counts per upper bound, in seconds. */
interface Histogram {
  buckets: { le: number; count: number }[]
  count: number
  sum: number
}

/**
 * Cluster mode (several instances on one PostgreSQL, docs/behaviour.md §9), in three parts.
 *
 * 1. Scale-out: 4 HTTP CONNECT proxy lanes (no direct lane: the instances share this host's
 *    address), DISPATCH_CONCURRENCY=1, an upstream that answers after `upstreamDelayMs`. One
 *    instance given 2 of the proxies, then two instances given all 4 (2 each once the split has
 *    settled) with the load split round-robin between them: the rates and their ratio, and the
 *    lane rules as the upstream saw them (one call at a time per source, one key per source).
 *    Renewal round trips from the two instances' `sfp_cluster_lease_renewal_seconds`.
 * 2. Propagation: a key disabled and enabled again on one instance through the admin API, the
 *    other polled until it shows the change.
 * 3. The PostgreSQL path: time to first byte of an instance on PostgreSQL against one on SQLite,
 *    one direct lane each, upstream without delay, sequential requests alternating.
 */
export async function measureCluster(
  options: ClusterOptions,
): Promise<{ figures: Figure[]; details: Record<string, unknown> }> {
  const { database } = options
  const servers: ProductionServer[] = []
  const proxies: HttpConnectProxy[] = []
  const upstreams: MockUpstream[] = []
  const stopServer = async (server: ProductionServer) => {
    await server.process.stop()
    servers.splice(servers.indexOf(server), 1)
  }
  const startProxy = async (outgoingAddress: string) => {
    const auth = { username: `lane-${outgoingAddress}`, password: randomBytes(8).toString('hex') }
    const proxy = await startHttpConnectProxy({ outgoingAddress, auth })
    proxies.push(proxy)
    return proxy
  }
  const startUpstream = async (delayMs: number) => {
    const upstream = await startLaneUpstream(KEYS, delayMs)
    upstreams.push(upstream)
    return upstream
  }
  const server = async (
    name: string,
    upstream: MockUpstream,
    keys: readonly string[],
    env: Record<string, string>,
  ) => {
    const [upstreamKey = '', ...moreUpstreamKeys] = keys
    const started = await startProductionServer({
      name,
      upstreamUrl: upstream.url,
      upstreamKey,
      moreUpstreamKeys,
      settings: { KEY_SWITCH_GUARD_MINUTES: String(GUARD_MINUTES), ...env },
      workDir: options.workDir,
      nodeArgs: options.nodeArgs ?? [],
    })
    servers.push(started)
    return started
  }

  try {
    // Part 1. One upstream per setup, so that its monitor sees only that setup's lanes.
    const { clients, upstreamDelayMs, warmupMs, durationMs } = options.throughput
    const laneProxies = await Promise.all(PROXY_ADDRESSES.map(startProxy))
    const proxyUrls = laneProxies.map((proxy) => proxy.urlWithAuth)
    const lanesOf = (urls: readonly string[]) => ({
      DISPATCH_CONCURRENCY: '1',
      EGRESS_DIRECT: 'false',
      EGRESS_PROXIES: urls.join(','),
      LEASE_SECONDS: String(LEASE_SECONDS),
    })

    // (a) One instance with 2 of the 4 lanes.
    const soloUpstream = await startUpstream(upstreamDelayMs)
    const soloUrl = await database.schema('solo')
    const solo = await server('cluster-solo', soloUpstream, KEYS, {
      ...lanesOf(proxyUrls.slice(0, 2)),
      DATABASE_URL: soloUrl,
      INSTANCE_ID: 'bench-solo',
    })
    await untilLanesSplit([solo], [2], 30_000)
    const one = await throughput([solo], soloUpstream, clients, warmupMs, durationMs)
    const soloRenewals = await histogramOf(solo, 'sfp_cluster_lease_renewal_seconds')
    await stopServer(solo)

    // (b) Two instances with all 4; the second started once the first has imported the keys
    // (its own import of the same keys finds them there: duplicates, nothing added).
    const pairUpstream = await startUpstream(upstreamDelayMs)
    const pairUrl = await database.schema('pair')
    const pairSettings = { ...lanesOf(proxyUrls), DATABASE_URL: pairUrl }
    const a = await server('cluster-a', pairUpstream, KEYS, {
      ...pairSettings,
      INSTANCE_ID: 'bench-a',
    })
    await untilLanesSplit([a], [4], 30_000)
    const b = await server('cluster-b', pairUpstream, KEYS, {
      ...pairSettings,
      INSTANCE_ID: 'bench-b',
    })
    // The first gives 2 lanes up (each drained, released) and the second takes them.
    const splitMs = await untilLanesSplit([a, b], [2, 2], 4 * LEASE_SECONDS * 1000)
    const two = await throughput([a, b], pairUpstream, clients, warmupMs, durationMs)
    const pairLanes = await Promise.all([a, b].map(ownLanes))

    // Part 2, on the same two, idle now.
    const propagation = await propagate(a, b, options.propagation)
    const renewals = mergeHistograms([
      soloRenewals,
      ...(await Promise.all(
        [a, b].map((instance) => histogramOf(instance, 'sfp_cluster_lease_renewal_seconds')),
      )),
    ])
    const changeDelays = mergeHistograms(
      await Promise.all(
        [a, b].map((instance) => histogramOf(instance, 'sfp_cluster_change_delay_seconds')),
      ),
    )
    await Promise.all([stopServer(a), stopServer(b)])

    // Part 3. One upstream without delay for both; one direct lane each.
    const fastUpstream = await startUpstream(0)
    const ttfbUrl = await database.schema('ttfb')
    // As in scenario 1, the slots never hold a timed request back behind a balance check.
    const single = { DISPATCH_CONCURRENCY: '1024', EGRESS_DIRECT: 'true' }
    const [onSqlite, onPostgres] = await Promise.all([
      server('cluster-ttfb-sqlite', fastUpstream, KEYS.slice(0, 1), single),
      server('cluster-ttfb-postgres', fastUpstream, KEYS.slice(1, 2), {
        ...single,
        DATABASE_URL: ttfbUrl,
        INSTANCE_ID: 'bench-ttfb',
      }),
    ])
    await untilLanesSplit([onPostgres], [1], 30_000)
    const [sqliteRounds = [], postgresRounds = []] = await firstByteRounds(
      [onSqlite.target, onPostgres.target],
      { ...options.firstByte, interleave: 'requests' },
    )

    const ratio = two.requestsPerSecond / one.requestsPerSecond
    const propagated = summarize(propagation.samplesMs)
    const notOk = (result: LoopResult) =>
      Object.values(result.notOk).reduce((sum, count) => sum + count, 0)
    const breaches = (result: ThroughputResult) =>
      result.violations.concurrency + result.violations.keySwitch + result.violations.keyMove
    const load = `${clients} clients, upstream ${upstreamDelayMs} ms`
    const figures = [
      figure(SCENARIO, `1 instance, 2 proxy lanes: rate, ${load}`, one.requestsPerSecond, 'req/s'),
      figure(
        SCENARIO,
        '2 instances, 4 proxy lanes (2 each), load split: rate',
        two.requestsPerSecond,
        'req/s',
      ),
      figure(SCENARIO, '2 instances over 1, rate ratio', ratio, 'x', {
        op: '>=',
        limit: SCALE_RATIO_TARGET,
        text: `>= ${SCALE_RATIO_TARGET}x`,
      }),
      figure(SCENARIO, 'requests not answered 200 (both rates)', notOk(one) + notOk(two), '', {
        op: '<=',
        limit: 0,
      }),
      figure(
        SCENARIO,
        'source addresses seen upstream, 2 instances (4 expected)',
        Object.keys(two.sources).length,
        '',
      ),
      figure(
        SCENARIO,
        'lane rule breaches seen upstream (both rates)',
        breaches(one) + breaches(two),
        '',
        { op: '<=', limit: 0 },
      ),
      figure(SCENARIO, 'second instance up: lanes split 2 + 2 after', splitMs / 1000, 's'),
      figure(
        SCENARIO,
        `lease renewal round trip, p50 (histogram, ${renewals.count} renewals)`,
        histogramQuantile(renewals, 0.5) * 1000,
        'ms',
      ),
      figure(
        SCENARIO,
        'lease renewal round trip, p99 (histogram)',
        histogramQuantile(renewals, 0.99) * 1000,
        'ms',
      ),
      figure(
        SCENARIO,
        `admin change on A (answered) to B showing it, p50 (${propagated.count} changes)`,
        propagated.p50,
        'ms',
      ),
      figure(SCENARIO, 'admin change on A to B showing it, p99', propagated.p99, 'ms', {
        op: '<=',
        limit: PROPAGATION_TARGET_MS,
      }),
      figure(
        SCENARIO,
        `admin changes B showed only after ${PROPAGATION_TARGET_MS / 1000} s`,
        propagation.late,
        '',
        { op: '<=', limit: 0 },
      ),
      figure(
        SCENARIO,
        'admin changes answered 200 on A, then undone on A',
        propagation.undone,
        '',
        {
          op: '<=',
          limit: 0,
        },
      ),
      ...addedFirstByteFigures(
        SCENARIO,
        { base: 'SQLite instance', added: 'PostgreSQL instance: added TTFB over SQLite' },
        sqliteRounds,
        postgresRounds,
        POSTGRES_TTFB_P50_TARGET_MS,
      ),
    ]
    return {
      figures,
      details: {
        scaleOut: {
          clients,
          upstreamDelayMs,
          warmupMs,
          durationMs,
          leaseSeconds: LEASE_SECONDS,
          oneInstance: one,
          twoInstances: { ...two, lanesPerInstance: pairLanes, splitSeconds: splitMs / 1000 },
        },
        leaseRenewal: histogramDetails(renewals),
        propagation: {
          ...options.propagation,
          late: propagation.late,
          undone: propagation.undone,
          sinceAnswerMs: propagation.samplesMs.map((ms) => rounded(ms, 1)),
          sinceSendMs: propagation.sinceSendMs.map((ms) => rounded(ms, 1)),
          changeDelayHistogram: histogramDetails(changeDelays),
        },
        postgresPath: {
          ...options.firstByte,
          interleave: 'requests',
          sqlite: roundDetails(sqliteRounds),
          postgres: roundDetails(postgresRounds),
        },
      },
    }
  } finally {
    await Promise.all(servers.map((one) => one.process.stop()))
    await Promise.all(proxies.map((proxy) => proxy.close()))
    await Promise.all(upstreams.map((upstream) => upstream.close()))
  }
}

/** An admin API call; throws unless it answers 2xx. */
async function admin<T>(server: ProductionServer, path: string, init: RequestInit = {}) {
  const response = await fetch(`${server.target.origin}/api/manage${path}`, {
    ...init,
    headers: {
      authorization: server.adminAuthorization,
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
  })
  if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`)
  return (await response.json()) as T
}

/** The lanes this instance drives, as it says. */
async function ownLanes(server: ProductionServer): Promise<number[]> {
  const { instances } = await admin<InstancesView>(server, '/status')
  return instances.find((instance) => instance.self)?.lanes ?? []
}

/**
 * Polls each instance's status every 50 ms until every one of them says it drives `lanes[i]`
 * lanes and sees exactly these instances; the time it took, ms.
 */
async function untilLanesSplit(
  instances: readonly ProductionServer[],
  lanes: readonly number[],
  withinMs: number,
): Promise<number> {
  const started = performance.now()
  for (;;) {
    const views = await Promise.all(instances.map((one) => admin<InstancesView>(one, '/status')))
    const settled = views.every(
      (view, i) =>
        view.instances.length === instances.length &&
        view.instances.find((instance) => instance.self)?.lanes.length === lanes[i],
    )
    if (settled) return performance.now() - started
    if (performance.now() - started > withinMs) {
      const seen = views.map((view) => view.instances.map((i) => `${i.id}: ${i.lanes}`).join('; '))
      throw new Error(`lanes not split ${lanes.join(' + ')} within ${withinMs} ms: ${seen}`)
    }
    await sleep(50)
  }
}

/**
 * `clients` in a closed loop over the servers for `warmupMs` (not measured: every lane takes its
 * key, every proxy opens its tunnel, the JIT warms up), then for `durationMs`, measured, with what
 * the upstream saw meanwhile.
 */
async function throughput(
  servers: readonly ProductionServer[],
  upstream: MockUpstream,
  clients: number,
  warmupMs: number,
  durationMs: number,
): Promise<ThroughputResult> {
  const pools = servers.map((server) => poolFor(server.target, clients))
  try {
    await closedLoopAcross(servers, pools, clients, warmupMs)
    upstream.resetViolations()
    const from = upstream.requests.length
    const measured = await closedLoopAcross(servers, pools, clients, durationMs)
    return {
      ...measured,
      ...seenSince(upstream, from),
    }
  } finally {
    await Promise.all(pools.map((pool) => pool.close()))
  }
}

/**
 * Closed loop: each client sends its next request as soon as the previous answer is read, to
 * the servers in turn (client `c`'s `n`-th request to server `(c + n) mod servers`), until
 * `durationMs` has passed; the rate counts 200s over the time to the last answer.
 */
async function closedLoopAcross(
  servers: readonly ProductionServer[],
  pools: readonly Pool[],
  clients: number,
  durationMs: number,
): Promise<LoopResult> {
  const requests = servers.map((server) => chatCompletion(server.target))
  const latenciesMs: number[] = []
  const okPerServer = servers.map(() => 0)
  const notOk: Record<string, number> = {}
  const start = performance.now()
  const deadline = start + durationMs
  const client = async (c: number) => {
    for (let n = 0; performance.now() < deadline; n++) {
      const i = (c + n) % servers.length
      const pool = pools[i]
      const request = requests[i]
      if (pool === undefined || request === undefined) throw new Error(`no server ${i}`)
      const sentAt = performance.now()
      let status = 0
      try {
        const { statusCode, body } = await pool.request(request)
        await body.arrayBuffer()
        status = statusCode
      } catch {
        // no answer: counted as status 0
      }
      if (status === 200) {
        latenciesMs.push(performance.now() - sentAt)
        okPerServer[i] = (okPerServer[i] ?? 0) + 1
      } else {
        notOk[status] = (notOk[status] ?? 0) + 1
      }
    }
  }
  await Promise.all(Array.from({ length: clients }, (_, c) => client(c)))
  const elapsedMs = performance.now() - start
  const { p50, p99, max } = summarize(latenciesMs)
  return {
    ok: latenciesMs.length,
    notOk,
    elapsedMs: rounded(elapsedMs, 1),
    requestsPerSecond: rounded((latenciesMs.length * 1000) / elapsedMs),
    okPerServer,
    latencyMs: { p50: rounded(p50, 1), p99: rounded(p99, 1), max: rounded(max, 1) },
  }
}

/** Longest wait for a change on the other instance: past the change bus's reconcile (30 s). */
const PROPAGATION_WAIT_MS = 40_000

/** How a run of admin changes went: the delays, and the changes that did not go through. */
interface PropagationResult {
  /** From `from`'s answer to the poll of `to` that showed it, per change seen. */
  samplesMs: number[]
  /** The same from the PATCH's send. */
  sinceSendMs: number[]
  /** Changes `to` showed only after PROPAGATION_TARGET_MS (a later reload caught them up). */
  late: number
  /** Changes `from` answered 200 to and then no longer showed itself (never reached `to`). */
  undone: number
}

/**
 * `samples` admin changes made on `from` (a key disabled, then enabled again, and so on), each
 * followed by polling `to` every `pollMs` until its key list shows the change: the time from
 * `from`'s answer (the change is told after it, docs/behaviour.md §9) to the poll that showed it.
 * Before each change both show the same state, and after it `gapMs` pass (an admin's pace), so
 * that each change meets two quiet instances.
 */
async function propagate(
  from: ProductionServer,
  to: ProductionServer,
  options: { samples: number; pollMs: number; gapMs: number },
): Promise<PropagationResult> {
  const statusOn = async (server: ProductionServer, id: number) =>
    (await admin<KeysView>(server, '/api-keys')).keys.find((key) => key.id === id)?.status
  const [key] = (await admin<KeysView>(from, '/api-keys')).keys
  if (key === undefined) throw new Error('no key to change')
  const result: PropagationResult = { samplesMs: [], sinceSendMs: [], late: 0, undone: 0 }
  for (let n = 0; n < options.samples; n++) {
    const before = await statusOn(from, key.id)
    const agreedSince = performance.now()
    while ((await statusOn(to, key.id)) !== before) {
      if (performance.now() - agreedSince > PROPAGATION_WAIT_MS) {
        throw new Error(`the instances disagree on key ${key.id} for ${PROPAGATION_WAIT_MS} ms`)
      }
      await sleep(100)
    }
    const enabled = before === 'disabled'
    const sentAt = performance.now()
    await admin(from, `/api-keys/${key.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ enabled }),
    })
    const answeredAt = performance.now()
    let checkedFromAt = answeredAt
    for (;;) {
      const now = performance.now()
      if (((await statusOn(to, key.id)) === 'disabled') !== enabled) {
        const seenAt = performance.now()
        result.samplesMs.push(seenAt - answeredAt)
        result.sinceSendMs.push(seenAt - sentAt)
        if (seenAt - answeredAt > PROPAGATION_TARGET_MS) result.late += 1
        break
      }
      // Once a second: is the change still there on the instance that made it?
      if (now - checkedFromAt > 1000) {
        checkedFromAt = now
        if (((await statusOn(from, key.id)) === 'disabled') === enabled) {
          result.undone += 1
          break
        }
      }
      if (now - answeredAt > PROPAGATION_WAIT_MS) {
        throw new Error(`change not seen on the other instance in ${PROPAGATION_WAIT_MS} ms`)
      }
      await sleep(options.pollMs)
    }
    await sleep(options.gapMs)
  }
  return result
}

/** A histogram (no labels) from the server's `/metrics`, behind the admin login. */
async function histogramOf(server: ProductionServer, name: string): Promise<Histogram> {
  const response = await fetch(`${server.target.origin}/metrics`, {
    headers: { authorization: server.adminAuthorization },
  })
  if (!response.ok) throw new Error(`/metrics answered ${response.status}`)
  const text = await response.text()
  const buckets: Histogram['buckets'] = []
  let count = 0
  let sum = 0
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue
    const bucket = /^\S+_bucket\{le="([^"]+)"\} (\S+)$/.exec(line)
    if (bucket) {
      const le = bucket[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(bucket[1])
      buckets.push({ le, count: Number(bucket[2]) })
    } else if (line.startsWith(`${name}_count `)) {
      count = Number(line.slice(name.length + 7))
    } else if (line.startsWith(`${name}_sum `)) {
      sum = Number(line.slice(name.length + 5))
    }
  }
  return { buckets, count, sum }
}

/** Several instances' histograms of one metric (same buckets) as one. */
function mergeHistograms(histograms: readonly Histogram[]): Histogram {
  const byBound = new Map<number, number>()
  for (const one of histograms) {
    for (const { le, count } of one.buckets) byBound.set(le, (byBound.get(le) ?? 0) + count)
  }
  return {
    buckets: [...byBound]
      .map(([le, count]) => ({ le, count }))
      .sort((left, right) => left.le - right.le),
    count: histograms.reduce((total, one) => total + one.count, 0),
    sum: histograms.reduce((total, one) => total + one.sum, 0),
  }
}

/**
 * The q-quantile as Prometheus' `histogram_quantile` works it out: linear within the bucket
 * it falls in (from 0 for the first), the highest finite bound when it falls past them; seconds.
 * Coarse: it says which bucket, not where in it.
 */
function histogramQuantile(histogram: Histogram, q: number): number {
  if (histogram.count === 0) return Number.NaN
  const rank = q * histogram.count
  let lower = 0
  let below = 0
  for (const { le, count } of histogram.buckets) {
    if (count >= rank) {
      if (!Number.isFinite(le)) return lower
      return lower + ((le - lower) * (rank - below)) / Math.max(1, count - below)
    }
    lower = le
    below = count
  }
  return lower
}

function histogramDetails(histogram: Histogram) {
  return {
    count: histogram.count,
    meanMs: histogram.count === 0 ? null : rounded((histogram.sum / histogram.count) * 1000),
    // [upper bound (ms), cumulative count] as exposed, in order.
    bucketsMs: histogram.buckets.map(({ le, count }) => [
      Number.isFinite(le) ? rounded(le * 1000) : '+Inf',
      count,
    ]),
  }
}
