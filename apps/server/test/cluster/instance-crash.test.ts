import { openPostgres } from '@sfp/db/pg'
import type { ListEgressesResponse, StatusView } from '@sfp/schemas'
import { describePostgres, useTestSchema } from '@sfp/test-support/postgres'
import { type ServerProcess, startServerProcess } from '@sfp/test-support/server-process'
import { type MockUpstream, startMockUpstream } from '@sfp/test-support/upstream'
import { afterEach, expect, it } from 'vitest'
import { until, urlOn } from '../helpers/cluster.js'
import { type LaneProxies, laneKey, startLaneProxies } from '../helpers/lanes-app.js'
import { chatBody, postJson } from '../helpers/proxy-app.js'
import { TEST_ADMIN_PASSWORD, TEST_CLIENT_KEY, tempDataDir } from '../helpers/test-app.js'
import { adminFetch } from '../reliability/child-server.js'

const CHAT = '/v1/chat/completions'
const LEASE_SECONDS = 3

const upstreams: MockUpstream[] = []
const children: ServerProcess[] = []
/** A test that failed half-way must not leave a server running (or stopped). */
async function kill(child: ServerProcess): Promise<void> {
  if (child.child.exitCode === null && child.child.signalCode === null) {
    child.child.kill('SIGKILL')
    await child.exited
  } else if (child.child.signalCode === 'SIGSTOP') {
    child.child.kill('SIGKILL')
  }
}
afterEach(async () => {
  for (const child of children.splice(0)) await kill(child)
  for (const upstream of upstreams.splice(0)) await upstream.close()
})

async function statusOf(url: string): Promise<StatusView> {
  return (await (await adminFetch(url, '/status')).json()) as StatusView
}

/** The key of the lane an instance drives (each drives one here), as that instance says. */
async function keyOfOwnLane(url: string): Promise<number | null> {
  const status = await statusOf(url)
  const lane = status.instances.find((entry) => entry.self)?.lanes[0]
  return status.egresses.find((entry) => entry.id === lane)?.switchGuard.currentKeyId ?? null
}

/** The address the upstream sees for requests through egress `id` (a proxy lane). */
async function sourceAddressOf(
  url: string,
  id: number,
  proxies: LaneProxies,
): Promise<string | undefined> {
  const { egresses } = (await (await adminFetch(url, '/egresses')).json()) as ListEgressesResponse
  const port = egresses
    .find((egress) => egress.id === id)
    ?.url.split(':')
    .at(-1)
  const index = proxies.urls.findIndex((proxyUrl) => proxyUrl.endsWith(`:${port}`))
  return proxies.addresses[index]
}

/** Requests from `workers` clients at once, one after another each, until `stop()`. */
function load(urls: () => string[], workers: number) {
  let running = true
  const statuses: number[] = []
  const loops = Array.from({ length: workers }, async (_, worker) => {
    for (let i = 0; running; i++) {
      const targets = urls()
      const url = targets[(worker + i) % targets.length] as string
      try {
        statuses.push((await postJson(url, CHAT, chatBody())).status)
      } catch {
        statuses.push(0) // the instance was killed under this request
      }
    }
  })
  return {
    statuses,
    async stop() {
      running = false
      await Promise.all(loops)
    },
  }
}

/**
 * Two real server processes on one PostgreSQL, two proxy lanes (each going out from its own
 * loopback address) in front of the look-alike upstream that counts §8 violations; no direct
 * lanes (the processes share this host's address).
 */
describePostgres('cluster mode: an instance killed or stalled under load', () => {
  const schema = useTestSchema(openPostgres)
  /** Started on the test's schema: killed before the schema is dropped. */
  const started = (child: ServerProcess) => {
    children.push(child)
    schema.closeBeforeDrop({ close: () => kill(child) })
    return child
  }

  async function startTwo() {
    const proxies = await startLaneProxies(2, 0)
    const upstream = await startMockUpstream({
      acceptAnyKey: true,
      sseIntervalMs: 1,
      invariants: { guardWindowMs: 30 * 60_000, concurrency: 1 },
    })
    upstreams.push(upstream)
    upstream.script({
      match: { path: CHAT },
      fault: { kind: 'delay', ms: 50 },
      times: Number.POSITIVE_INFINITY,
    })
    const env = {
      DATABASE_URL: urlOn(schema.url, schema.name),
      UPSTREAM_BASE_URL: upstream.url,
      EGRESS_DIRECT: 'false',
      EGRESS_PROXIES: proxies.urls.join(','),
      LEASE_SECONDS: String(LEASE_SECONDS),
      KEY_SWITCH_GUARD_MINUTES: '30',
      ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
      PROXY_API_KEYS: TEST_CLIENT_KEY,
      AUTO_QUERY_BALANCE_AFTER_CALLS: '0',
      BALANCE_REFRESH_MINUTES: '0',
    }
    const a = started(startServerProcess({ ...env, INSTANCE_ID: 'sfp-a', DATA_DIR: tempDataDir() }))
    const aUrl = await a.url()
    const added = await adminFetch(aUrl, '/api-keys', {
      method: 'POST',
      body: JSON.stringify({ api_keys: [1, 2, 3, 4].map(laneKey).join('\n') }),
    })
    expect(added.status).toBe(201)
    const b = started(startServerProcess({ ...env, INSTANCE_ID: 'sfp-b', DATA_DIR: tempDataDir() }))
    const bUrl = await b.url()
    // One proxy lane each once the split has settled.
    await until(
      async () => {
        const { instances } = await statusOf(aUrl)
        return instances.length === 2 && instances.every((entry) => entry.lanes.length === 1)
      },
      15_000,
      'one lane each',
    )
    return { upstream, proxies, a, b, aUrl, bUrl }
  }

  it('SIGKILL: the dead instance’s lane is taken over within LEASE_SECONDS + 5 s with its key', {
    timeout: 60_000,
  }, async () => {
    const { upstream, proxies, b, aUrl, bUrl } = await startTwo()
    let targets = [aUrl, bUrl]
    const traffic = load(() => targets, 4)
    // Both lanes carry traffic and each has its key.
    await until(async () => (await keyOfOwnLane(bUrl)) !== null, 10_000, 'b’s lane has a key')
    const laneOfB = (await statusOf(bUrl)).instances.find((entry) => entry.self)?.lanes[0] as number
    const keyOfB = await keyOfOwnLane(bUrl)

    const killedAt = Date.now()
    targets = [aUrl]
    b.child.kill('SIGKILL')
    await b.exited
    const tookMs = await until(
      async () => {
        const { instances } = await statusOf(aUrl)
        return instances.find((entry) => entry.self)?.lanes.includes(laneOfB) ?? false
      },
      (LEASE_SECONDS + 5) * 1000,
      'a drives the dead instance’s lane',
    )
    expect(Date.now() - killedAt).toBeLessThan((LEASE_SECONDS + 5) * 1000)
    expect(tookMs).toBeGreaterThan(0)
    // Served through the lane taken over (from its proxy's address), with the same key.
    const source = await sourceAddressOf(aUrl, laneOfB, proxies)
    const servedAfter = upstream.requests.length
    await until(
      async () =>
        upstream.requests.slice(servedAfter).filter((request) => request.sourceAddress === source)
          .length >= 4,
      10_000,
      'traffic through the lane taken over',
    )
    const keys = new Set(
      upstream.requests
        .slice(servedAfter)
        .filter((request) => request.sourceAddress === source)
        .map((request) => request.key),
    )
    expect([...keys]).toEqual([laneKey((keyOfB ?? 0) as number)])
    await traffic.stop()
    const after = await statusOf(aUrl)
    expect(after.egresses.find((lane) => lane.id === laneOfB)?.switchGuard.currentKeyId).toBe(
      keyOfB,
    )
    expect(upstream.violations().total).toBe(0)
  })

  it('SIGSTOP past the lease: the stalled instance never sends after another took its lane', {
    timeout: 60_000,
  }, async () => {
    const { upstream, b, aUrl, bUrl } = await startTwo()
    let targets = [aUrl, bUrl]
    const traffic = load(() => targets, 4)
    await until(async () => (await keyOfOwnLane(bUrl)) !== null, 10_000, 'b’s lane has a key')
    const laneOfB = (await statusOf(aUrl)).instances.find((entry) => entry.id === 'sfp-b')
      ?.lanes[0] as number
    targets = [aUrl]
    b.child.kill('SIGSTOP')
    await until(
      async () =>
        (await statusOf(aUrl)).instances.find((entry) => entry.self)?.lanes.includes(laneOfB) ??
        false,
      (LEASE_SECONDS + 5) * 1000,
      'a takes the stalled instance’s lane',
    )
    // b wakes up with requests of its own waiting: whatever it does, it must not send through
    // the lane a drives now (the look-alike would see two senders, or two keys, on one address).
    b.child.kill('SIGCONT')
    const woken = await Promise.all(
      Array.from({ length: 4 }, () => postJson(bUrl, CHAT, chatBody()).then((r) => r.status)),
    )
    for (const status of woken) expect([200, 503]).toContain(status)
    await new Promise((resolve) => setTimeout(resolve, LEASE_SECONDS * 1000))
    await traffic.stop()
    expect(upstream.violations().total, JSON.stringify(upstream.violations())).toBe(0)
    // The split settles again: b drives one lane, a the other.
    await until(
      async () => (await statusOf(aUrl)).instances.every((entry) => entry.lanes.length === 1),
      15_000,
      'the lanes shared again',
    )
    expect(upstream.violations().total).toBe(0)
  })
})
