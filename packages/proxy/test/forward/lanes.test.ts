import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { isWayOutFailure } from '@sfp/egress'
import type { Fault } from '@sfp/test-support/upstream'
import { request } from 'undici'
import { describe, expect, it } from 'vitest'
import { EgressBlocked, type FakeLane, KEYS, withRetryAfter } from '../helpers/fakes.js'
import { directLane, httpProxy, proxyLane, socksProxy } from '../helpers/lanes.js'
import {
  CHAT,
  clientHeaders,
  type ProxyTestApp,
  type ProxyTestOptions,
  startProxyApp,
} from '../helpers/proxy-app.js'

/**
 * Lane moves with real ways out: the egress package's dispatchers through real local proxies,
 * each dialling the mock upstream from its own loopback address. The fake dispatch hands out the
 * lanes in order, minus the ones the proxy excluded.
 */

const AUTH = { username: 'lane-user', password: 'lane-pass' }
const BLOCKED = {
  code: 50603,
  message: 'System is really busy. Please try again later.',
  data: null,
}
const BUSY = { code: 50508, message: 'System is too busy now. Please try again later.', data: null }
const blockedAnswer: Fault = { kind: 'status', status: 503, body: BLOCKED }

async function chat(proxy: ProxyTestApp) {
  const response = await request(`${proxy.url}/v1/chat/completions`, {
    method: 'POST',
    headers: clientHeaders({ 'content-type': 'application/json' }),
    body: JSON.stringify(CHAT),
  })
  return {
    status: response.statusCode,
    headers: response.headers,
    json: (await response.body.json()) as Record<string, unknown>,
  }
}

async function start(lanes: FakeLane[], options: ProxyTestOptions = {}) {
  return startProxyApp({ ...options, lanes })
}

/** A lane that serves: a SOCKS5 proxy dialling from 127.0.0.3. */
async function goodLane(id: number, blockCodes: number[] = []): Promise<FakeLane> {
  return proxyLane(id, 'socks5', await socksProxy('127.0.0.3'), { blockCodes })
}

const laneIds = (proxy: ProxyTestApp) =>
  proxy.dispatch.leases.map(({ exclude, laneId }) => ({ exclude, laneId }))

describe('a way out that fails moves the request to another lane', () => {
  it.each([
    [
      'an HTTP proxy that died (ECONNREFUSED)',
      { cause: 'connection_refused', code: 'ECONNREFUSED' },
      async () => {
        const dead = await httpProxy('127.0.0.2')
        await dead.kill()
        return proxyLane(1, 'http', dead)
      },
    ],
    [
      'an HTTP proxy answering 407',
      { cause: 'tunnel_refused', code: 'UND_ERR_ABORTED' },
      async () => proxyLane(1, 'http', await httpProxy('127.0.0.2', AUTH)),
    ],
    [
      'a SOCKS5 proxy refusing the credentials',
      { cause: 'socks_refused', code: 'UND_ERR_SOCKS5_AUTH_FAILED' },
      async () => {
        const socks = await socksProxy('127.0.0.2', AUTH)
        socks.setMode('refuse-auth')
        return proxyLane(1, 'socks5', socks, { auth: AUTH })
      },
    ],
  ])(
    '%s: lane 1 is down, lane 2 serves, the key hears only the success',
    async (_name, down, broken) => {
      const proxy = await start([await broken(), await goodLane(2)])
      const answer = await chat(proxy)
      expect(answer.status).toBe(200)
      expect(answer.json.object).toBe('chat.completion')
      // Nothing of the first attempt reached the upstream; the second came from lane 2's address.
      expect(proxy.upstream.requests.map((r) => [r.sourceAddress, r.key])).toEqual([
        ['127.0.0.3', KEYS[0].secret],
      ])
      expect(proxy.dispatch.egressFailures).toEqual([
        { laneId: 1, failure: { code: 'egress_down', params: down } },
      ])
      expect(laneIds(proxy)).toEqual([
        { exclude: [], laneId: 1 },
        { exclude: [1], laneId: 2 },
      ])
      expect(proxy.dispatch.reports).toEqual([{ keyId: 1, outcome: { kind: 'success' } }])
      expect(proxy.sleeps).toEqual([])
      const [record] = await proxy.waitForRecords(1)
      expect(record).toMatchObject({
        status: 200,
        egressId: 2,
        upstreamKeyId: 1,
        attempts: 2,
        errorType: null,
      })
      expect(proxy.dispatch.releases).toBe(2)
      expect(proxy.dispatch.inFlight).toBe(0)
    },
  )

  it('an HTTP proxy with its credentials serves as a lane too', async () => {
    const dead = await httpProxy('127.0.0.2')
    await dead.kill()
    const withAuth = await httpProxy('127.0.0.4', AUTH)
    const proxy = await start([
      proxyLane(1, 'http', dead),
      proxyLane(2, 'http', withAuth, { auth: AUTH }),
    ])
    expect((await chat(proxy)).status).toBe(200)
    expect(proxy.upstream.requests.map((r) => r.sourceAddress)).toEqual(['127.0.0.4'])
    expect(withAuth.tunnels).toHaveLength(1)
  })

  it('lane moves do not use up the retries of the key', async () => {
    const dead = await httpProxy('127.0.0.2')
    await dead.kill()
    const proxy = await start([proxyLane(1, 'http', dead), await goodLane(2)])
    proxy.upstream.script({ fault: { kind: 'status', status: 503, body: BUSY }, times: 2 })
    expect((await chat(proxy)).status).toBe(200)
    expect(proxy.dispatch.kinds()).toEqual(['upstreamError', 'upstreamError', 'success'])
    expect(proxy.sleeps).toHaveLength(2)
    const [record] = await proxy.waitForRecords(1)
    expect(record).toMatchObject({ status: 200, egressId: 2, attempts: 4 })
  })
})

describe('an answer with a block code moves the request to another lane', () => {
  it('lane 1 is blocked, lane 2 serves, the key hears only the success', async () => {
    const proxy = await start([directLane(1, [50603]), await goodLane(2, [50603])])
    proxy.upstream.script({ fault: blockedAnswer })
    const answer = await chat(proxy)
    expect(answer.status).toBe(200)
    expect(proxy.upstream.requests.map((r) => [r.sourceAddress, r.key])).toEqual([
      ['127.0.0.1', KEYS[0].secret],
      ['127.0.0.3', KEYS[0].secret],
    ])
    expect(proxy.dispatch.egressFailures).toEqual([
      { laneId: 1, failure: { code: 'egress_blocked', params: { status: 503 } } },
    ])
    expect(laneIds(proxy)).toEqual([
      { exclude: [], laneId: 1 },
      { exclude: [1], laneId: 2 },
    ])
    expect(proxy.dispatch.reports).toEqual([{ keyId: 1, outcome: { kind: 'success' } }])
    const [record] = await proxy.waitForRecords(1)
    expect(record).toMatchObject({ status: 200, upstreamStatus: 200, egressId: 2, attempts: 2 })
    expect(proxy.dispatch.inFlight).toBe(0)
  })

  it('a lane without that block code treats the same answer as busy: retried on its key', async () => {
    const proxy = await start([directLane(1), await goodLane(2)])
    proxy.upstream.script({ fault: blockedAnswer })
    expect((await chat(proxy)).status).toBe(200)
    expect(proxy.dispatch.egressFailures).toEqual([])
    expect(proxy.dispatch.leases).toHaveLength(1)
    expect(proxy.upstream.requests.map((r) => r.sourceAddress)).toEqual(['127.0.0.1', '127.0.0.1'])
    expect(proxy.dispatch.kinds()).toEqual(['upstreamError', 'success'])
  })
})

describe('no lane left: the dispatch refusal is the answer', () => {
  it('every way out failed: 503 no_available_egress with its Retry-After', async () => {
    const http = await httpProxy('127.0.0.2')
    const socks = await socksProxy('127.0.0.3')
    await Promise.all([http.kill(), socks.kill()])
    const proxy = await start([proxyLane(1, 'http', http), proxyLane(2, 'socks5', socks)])
    const answer = await chat(proxy)
    expect(answer.status).toBe(503)
    expect(answer.headers['retry-after']).toBe('30')
    expect(answer.json).toEqual({
      error: {
        message: 'no egress can serve now',
        type: 'server_error',
        code: 'no_available_egress',
      },
    })
    expect(proxy.upstream.requests).toHaveLength(0)
    expect(
      proxy.dispatch.egressFailures.map(({ laneId, failure }) => [laneId, failure.code]),
    ).toEqual([
      [1, 'egress_down'],
      [2, 'egress_down'],
    ])
    expect(laneIds(proxy)).toEqual([
      { exclude: [], laneId: 1 },
      { exclude: [1], laneId: 2 },
      { exclude: [1, 2], laneId: null },
    ])
    expect(proxy.dispatch.reports).toEqual([])
    expect(proxy.dispatch.releases).toBe(2)
    expect(proxy.dispatch.inFlight).toBe(0)
    const [record] = await proxy.waitForRecords(1)
    expect(record).toMatchObject({ status: 503, errorType: 'no_available_egress', egressId: 2 })
  })

  it('every lane blocked: the refusal the dispatch gives (egress_blocked)', async () => {
    const proxy = await start([directLane(1, [50603]), await goodLane(2, [50603])])
    proxy.dispatch.noLaneRefusal = withRetryAfter(new EgressBlocked('every egress is blocked'), 600)
    proxy.upstream.script({ fault: blockedAnswer, times: 2 })
    const answer = await chat(proxy)
    expect(answer.status).toBe(503)
    expect(answer.headers['retry-after']).toBe('600')
    expect(answer.json).toMatchObject({ error: { code: 'egress_blocked' } })
    expect(proxy.upstream.requests.map((r) => r.sourceAddress)).toEqual(['127.0.0.1', '127.0.0.3'])
    const blocked = { code: 'egress_blocked', params: { status: 503 } }
    expect(proxy.dispatch.egressFailures.map(({ failure }) => failure)).toEqual([blocked, blocked])
    expect(proxy.dispatch.reports).toEqual([])
  })
})

describe('a direct lane whose upstream refuses the connection', () => {
  it('is the key network error, retried on the same lane: no lane move', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const { port } = closed.address() as AddressInfo
    await new Promise((resolve) => closed.close(resolve))
    const seen: unknown[] = []
    const lane = directLane(1)
    const judged: FakeLane = {
      ...lane,
      wayOut: (error) => {
        seen.push(error)
        return lane.wayOut?.(error) ?? false
      },
    }
    const proxy = await start([judged, directLane(2)], {
      settings: { upstreamBaseUrl: `http://127.0.0.1:${port}` },
    })
    const answer = await chat(proxy)
    expect(answer.status).toBe(502)
    expect(answer.json).toMatchObject({ error: { code: 'upstream_unreachable' } })
    expect(proxy.dispatch.leases).toHaveLength(1)
    expect(proxy.dispatch.egressFailures).toEqual([])
    expect(proxy.dispatch.reports).toEqual(
      Array.from({ length: 3 }, () => ({
        keyId: 1,
        outcome: { kind: 'networkError', code: 'ECONNREFUSED' },
      })),
    )
    // The proxy asked the lane each time; the error was one from before sending (a proxy lane
    // would have been left for it), and only the direct lane's rule keeps it the key's.
    expect(seen).toHaveLength(3)
    expect(isWayOutFailure('socks5', seen[0])).toBe(true)
    const [record] = await proxy.waitForRecords(1)
    expect(record).toMatchObject({ status: 502, egressId: 1, attempts: 3 })
  })
})
