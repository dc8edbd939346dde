import { randomBytes } from 'node:crypto'
import { type HttpConnectProxy, startHttpConnectProxy } from '@sfp/test-support'
import type { MockUpstream } from '@sfp/test-support/upstream'
import { type Figure, figure } from '../lib/figures.js'
import { GUARD_MINUTES, seenSince, startLaneUpstream } from '../lib/lane-upstream.js'
import { chatCompletion, poolFor } from '../lib/load.js'
import { rounded, type Summary, summarize } from '../lib/stats.js'
import { type ProductionServer, startProductionServer } from '../targets/production-server.js'
import {
  addedFirstByteFigures,
  type FirstByteOptions,
  firstByteRounds,
  roundDetails,
} from './first-byte.js'

export const SCENARIO = '6 lanes'
/** 4 lanes against 1 at one slot each: 4x at best; what the lanes' own work may cost. */
export const RATE_RATIO_TARGET = 3.5
/** Time to first byte the hop through an HTTP CONNECT proxy lane may add, p50. */
export const HOP_P50_TARGET_MS = 0.3

/** The proxies' outgoing addresses: each a source IP of its own (127.0.0.0/8 is loopback). */
const PROXY_ADDRESSES = ['127.0.0.2', '127.0.0.3', '127.0.0.4'] as const

export interface LanesOptions {
  /** Part 1: `requests` concurrent chat completions; the upstream waits `upstreamDelayMs` each. */
  parallel: { requests: number; upstreamDelayMs: number }
  /** Part 2: direct lane against proxy lane, requests alternating (see `firstByteRounds`). */
  firstByte: FirstByteOptions
  /** Each server gets its own data folder in it. */
  workDir: string
  nodeArgs?: readonly string[]
}

/** What one burst of concurrent requests through one server gave. */
interface BurstResult {
  lanes: number
  ok: number
  failed: number
  elapsedMs: number
  requestsPerSecond: number
  latencyMs: Summary
  /** Chat completions per source address, as the upstream saw them. */
  sources: Record<string, number>
  /** Keys per source address (each lane should keep one). */
  keysBySource: Record<string, string[]>
  /** Breaches the upstream's invariant monitor saw during the burst (warm-up excluded). */
  violations: { concurrency: number; keySwitch: number; keyMove: number }
}

/**
 * Egress lanes (one source IP each, with its own key, slots and switch guard), in two parts.
 *
 * 1. Parallel lanes: the production server with 4 lanes (this host plus 3 HTTP CONNECT proxies,
 *    each going out from its own loopback address, Basic auth) and 4 keys, against the same
 *    server with the direct lane alone and 1 key, both at DISPATCH_CONCURRENCY=1 per lane, an
 *    upstream that answers each chat completion after `upstreamDelayMs`, and `requests`
 *    concurrent requests: the rates and their ratio, and the source addresses the upstream saw.
 * 2. The proxy hop: time to first byte of a server whose one lane is an HTTP proxy, against one
 *    going out directly, sequential requests alternating between the two, upstream without delay.
 */
export async function measureLanes(
  options: LanesOptions,
): Promise<{ figures: Figure[]; details: Record<string, unknown> }> {
  const servers: ProductionServer[] = []
  const proxies: HttpConnectProxy[] = []
  const upstreams: MockUpstream[] = []
  /** Servers started together; those that came up are stopped at the end even if one failed. */
  const startServers = async (starts: Promise<ProductionServer>[]) => {
    const settled = await Promise.allSettled(starts)
    for (const one of settled) if (one.status === 'fulfilled') servers.push(one.value)
    for (const one of settled) if (one.status === 'rejected') throw one.reason
    return settled.flatMap((one) => (one.status === 'fulfilled' ? [one.value] : []))
  }
  const startProxy = async (outgoingAddress: string) => {
    const auth = { username: `lane-${outgoingAddress}`, password: randomBytes(8).toString('hex') }
    const proxy = await startHttpConnectProxy({ outgoingAddress, auth })
    proxies.push(proxy)
    return proxy
  }
  const startUpstream = async (keys: readonly string[], delayMs: number) => {
    const upstream = await startLaneUpstream(keys, delayMs)
    upstreams.push(upstream)
    return upstream
  }
  const server = (
    name: string,
    upstream: MockUpstream,
    keys: readonly string[],
    env: Record<string, string>,
  ) => {
    const [upstreamKey = '', ...moreUpstreamKeys] = keys
    return startProductionServer({
      name,
      upstreamUrl: upstream.url,
      upstreamKey,
      moreUpstreamKeys,
      settings: { KEY_SWITCH_GUARD_MINUTES: String(GUARD_MINUTES), ...env },
      workDir: options.workDir,
      nodeArgs: options.nodeArgs ?? [],
    })
  }

  try {
    // Part 1. One upstream per server, so that its invariant monitor sees one server's lanes.
    const { requests, upstreamDelayMs } = options.parallel
    const keys = [1, 2, 3, 4].map((i) => `sk-bench-lane-key-000${i}`)
    const lanesProxies = await Promise.all(PROXY_ADDRESSES.map(startProxy))
    const [lanesUpstream, singleUpstream] = await Promise.all([
      startUpstream(keys, upstreamDelayMs),
      startUpstream(keys.slice(0, 1), upstreamDelayMs),
    ])
    if (lanesUpstream === undefined || singleUpstream === undefined) throw new Error('no upstream')
    const [fourLanes, oneLane] = await startServers([
      server('lanes-4', lanesUpstream, keys, {
        DISPATCH_CONCURRENCY: '1',
        EGRESS_DIRECT: 'true',
        EGRESS_PROXIES: lanesProxies.map((proxy) => proxy.urlWithAuth).join(','),
      }),
      server('lanes-1', singleUpstream, keys.slice(0, 1), {
        DISPATCH_CONCURRENCY: '1',
        EGRESS_DIRECT: 'true',
      }),
    ])
    if (fourLanes === undefined || oneLane === undefined) throw new Error('no server')
    const parallel = await burst(fourLanes, lanesUpstream, 4, requests)
    const single = await burst(oneLane, singleUpstream, 1, requests)
    await Promise.all([fourLanes.process.stop(), oneLane.process.stop()])

    // Part 2. One upstream for both, no delay; one proxy, its own outgoing address.
    const hopKeys = ['sk-bench-hop-key-0001', 'sk-bench-hop-key-0002']
    const hopUpstream = await startUpstream(hopKeys, 0)
    const hopProxy = await startProxy('127.0.0.5')
    // As in scenario 1, the slots never hold a timed request back behind a balance check.
    const idle = { DISPATCH_CONCURRENCY: '1024' }
    const [directLane, proxyLane] = await startServers([
      server('lanes-hop-direct', hopUpstream, hopKeys.slice(0, 1), {
        ...idle,
        EGRESS_DIRECT: 'true',
      }),
      server('lanes-hop-proxy', hopUpstream, hopKeys.slice(1), {
        ...idle,
        EGRESS_DIRECT: 'false',
        EGRESS_PROXIES: hopProxy.urlWithAuth,
      }),
    ])
    if (directLane === undefined || proxyLane === undefined) throw new Error('no server')
    const [directRounds = [], proxyRounds = []] = await firstByteRounds(
      [directLane.target, proxyLane.target],
      { ...options.firstByte, interleave: 'requests' },
    )
    // The proxy lane went out through the proxy (and only it could: EGRESS_DIRECT=false).
    if (hopProxy.tunnels.length === 0) throw new Error('the proxy lane opened no tunnel')

    const figures = [
      figure(
        SCENARIO,
        `4 lanes (direct + 3 HTTP proxies): rate, ${requests} concurrent, upstream ${upstreamDelayMs} ms`,
        parallel.requestsPerSecond,
        'req/s',
      ),
      figure(SCENARIO, '1 lane (direct): rate, same load', single.requestsPerSecond, 'req/s'),
      figure(
        SCENARIO,
        '4 lanes over 1 lane, rate ratio',
        parallel.requestsPerSecond / single.requestsPerSecond,
        'x',
        { op: '>=', limit: RATE_RATIO_TARGET, text: `>= ${RATE_RATIO_TARGET}x` },
      ),
      figure(
        SCENARIO,
        'source addresses seen upstream, 4 lanes (4 expected)',
        Object.keys(parallel.sources).length,
        '',
      ),
      figure(
        SCENARIO,
        'requests not answered 200 (both rates)',
        parallel.failed + single.failed,
        '',
        { op: '<=', limit: 0 },
      ),
      ...addedFirstByteFigures(
        SCENARIO,
        { base: 'direct lane', added: 'HTTP proxy lane: added TTFB over direct lane' },
        directRounds,
        proxyRounds,
        HOP_P50_TARGET_MS,
      ),
    ]
    return {
      figures,
      details: {
        parallel: { requests, upstreamDelayMs, fourLanes: parallel, oneLane: single },
        proxyHop: {
          ...options.firstByte,
          interleave: 'requests',
          tunnels: hopProxy.tunnels.length,
          directLane: roundDetails(directRounds),
          proxyLane: roundDetails(proxyRounds),
        },
      },
    }
  } finally {
    await Promise.all(servers.map((one) => one.process.stop()))
    await Promise.all(proxies.map((proxy) => proxy.close()))
    await Promise.all(upstreams.map((upstream) => upstream.close()))
  }
}

/**
 * `requests` chat completions sent at once, each on its own connection, after one request per
 * lane at once (not measured: each lane takes its key and opens its tunnel). The rate is the
 * answers over the time from the first send to the last answer.
 */
async function burst(
  server: ProductionServer,
  upstream: MockUpstream,
  lanes: number,
  requests: number,
): Promise<BurstResult> {
  const pool = poolFor(server.target, requests)
  const request = chatCompletion(server.target)
  const send = async () => {
    const sentAt = performance.now()
    try {
      const { statusCode, body } = await pool.request(request)
      await body.arrayBuffer()
      return { ok: statusCode === 200, ms: performance.now() - sentAt }
    } catch {
      return { ok: false, ms: performance.now() - sentAt }
    }
  }
  try {
    await Promise.all(Array.from({ length: lanes }, send))
    upstream.resetViolations()
    const from = upstream.requests.length
    const start = performance.now()
    const answers = await Promise.all(Array.from({ length: requests }, send))
    const elapsedMs = performance.now() - start
    const ok = answers.filter((answer) => answer.ok).length

    return {
      lanes,
      ok,
      failed: requests - ok,
      elapsedMs: rounded(elapsedMs, 1),
      requestsPerSecond: rounded((ok * 1000) / elapsedMs),
      latencyMs: roundedSummary(
        summarize(answers.filter((answer) => answer.ok).map((answer) => answer.ms)),
      ),
      ...seenSince(upstream, from),
    }
  } finally {
    await pool.close()
  }
}

function roundedSummary(summary: Summary): Summary {
  const { count, p50, p99, max } = summary
  return { count, p50: rounded(p50, 1), p99: rounded(p99, 1), max: rounded(max, 1) }
}
