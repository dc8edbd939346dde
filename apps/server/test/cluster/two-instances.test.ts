import type { AddressInfo } from 'node:net'
import { openPostgres } from '@sfp/db/pg'
import type { ListLogsResponse, StatusView } from '@sfp/schemas'
import {
  describePostgres,
  openPgGate,
  type PgGate,
  useTestSchema,
} from '@sfp/test-support/postgres'
import { type MockUpstream, startMockUpstream } from '@sfp/test-support/upstream'
import { afterEach, expect, it } from 'vitest'
import { until, urlOn } from '../helpers/cluster.js'
import { laneKey, startLaneProxies } from '../helpers/lanes-app.js'
import { chatBody, postJson } from '../helpers/proxy-app.js'
import { basicAuth, buildTestApp, type TestApp } from '../helpers/test-app.js'

const admin = { authorization: basicAuth() }
const CHAT = '/v1/chat/completions'

interface Instance extends TestApp {
  url: string
}

const upstreams: MockUpstream[] = []
const gates: PgGate[] = []
afterEach(async () => {
  for (const upstream of upstreams.splice(0)) await upstream.close()
  for (const gate of gates.splice(0)) await gate.close()
})

describePostgres('cluster mode: instances on one PostgreSQL share the lanes', () => {
  const schema = useTestSchema(openPostgres)

  async function startCluster(proxyCount: number, instanceCount = 2) {
    const proxies = await startLaneProxies(proxyCount, 0)
    const upstream = await startMockUpstream({
      acceptAnyKey: true,
      sseIntervalMs: 1,
      invariants: { guardWindowMs: 30 * 60_000, concurrency: 1 },
    })
    upstreams.push(upstream)
    const env = {
      UPSTREAM_BASE_URL: upstream.url,
      EGRESS_PROXIES: proxies.urls.join(','),
      LEASE_SECONDS: '3',
      KEY_SWITCH_GUARD_MINUTES: '30',
      AUTO_QUERY_BALANCE_AFTER_CALLS: '0',
      BALANCE_REFRESH_MINUTES: '0',
    }
    // b reaches PostgreSQL through a gate, so that a test can take the database away from it.
    const gate = await openPgGate(schema.url)
    gates.push(gate)
    const start = async (id: string, address: string, url = schema.url): Promise<Instance> => {
      const test = await buildTestApp({
        ...env,
        DATABASE_URL: urlOn(url, schema.name),
        INSTANCE_ID: id,
        EGRESS_DIRECT_ADDRESS: address,
      })
      schema.closeBeforeDrop(test.app)
      await test.app.listen({ port: 0, host: '127.0.0.1' })
      const { port } = test.app.server.address() as AddressInfo
      return { ...test, url: `http://127.0.0.1:${port}` }
    }
    // Each instance's own direct lane leaves from its own address, as from its own host.
    const a = await start('sfp-a', '127.0.0.10')
    await a.app.keyPool.add({
      api_keys: Array.from({ length: 8 }, (_, i) => laneKey(i + 1)).join('\n'),
    })
    const b = await start('sfp-b', '127.0.0.11', gate.url)
    const more: Instance[] = []
    for (let n = 2; n < instanceCount; n++)
      more.push(await start(`sfp-${'abcdef'[n]}`, `127.0.0.${10 + n}`))
    return { proxies, upstream, a, b, more, gate }
  }

  const held = (instance: Instance) =>
    instance.app.cluster.instances().find((entry) => entry.self)?.lanes ?? []

  it('splits the proxy lanes fairly, each keeping its own direct lane, and serves through both', {
    timeout: 30_000,
  }, async () => {
    const { upstream, a, b } = await startCluster(4)
    // Own direct lane + two of the four proxies each, once the split has settled.
    await until(() => held(a).length === 3 && held(b).length === 3, 15_000, 'a fair split')
    const lanesA = held(a)
    const lanesB = held(b)
    expect(lanesA.filter((id) => lanesB.includes(id))).toEqual([])
    // Neither drives the other's direct lane; each sees only its own.
    expect(a.app.egress.list().filter((egress) => egress.kind === 'direct')).toHaveLength(1)
    expect(b.app.egress.list().filter((egress) => egress.kind === 'direct')).toHaveLength(1)

    const status = (
      await a.app.inject({ url: '/api/manage/status', headers: admin })
    ).json() as StatusView
    expect(status.mode).toBe('cluster')
    await until(() => a.app.cluster.instances().length === 2, 5000, 'instance a sees instance b')
    const listed = a.app.cluster.instances()
    expect(listed.map((entry) => [entry.id, entry.self])).toEqual([
      ['sfp-a', true],
      ['sfp-b', false],
    ])
    await until(
      () => JSON.stringify(a.app.cluster.instances()[1]?.lanes) === JSON.stringify(held(b)),
      5000,
      "a lists b's lanes",
    )
    const driven = (status.egresses ?? []).map((lane) => [lane.id, lane.drivenBy])
    for (const [id, by] of driven) {
      if (lanesA.includes(id as number)) expect(by).toBe('sfp-a')
    }

    upstream.script({
      match: { path: CHAT },
      fault: { kind: 'delay', ms: 150 },
      times: Number.POSITIVE_INFINITY,
    })
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => postJson(i % 2 ? b.url : a.url, CHAT, chatBody())),
    )
    expect(answers.map((answer) => answer.status)).toEqual(Array(12).fill(200))
    // One key per source address, one request at a time on each: the §8 rules across instances.
    expect(upstream.violations().total).toBe(0)
    const sources = new Set(upstream.requests.map((request) => request.sourceAddress))
    expect(sources.has('127.0.0.1')).toBe(false)
    // The whole cluster's log, from either instance (rows are written just after each answer).
    const logged = async () => {
      const logs = await b.app.inject({ url: '/api/manage/logs?limit=100', headers: admin })
      return (logs.json() as ListLogsResponse).items.length
    }
    let rows = await logged()
    for (let i = 0; i < 100 && rows !== 12; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      rows = await logged()
    }
    expect(rows).toBe(12)
  })

  it('shows an admin change made on one instance on the other within 2 s', {
    timeout: 30_000,
  }, async () => {
    const { a, b } = await startCluster(2)
    const keyId = a.app.keyPool.list({ offset: 0 }).keys[2]?.id ?? 0
    await until(() => b.app.keyPool.view(keyId) !== undefined, 2000, 'b knows the keys')

    const started = Date.now()
    const disabled = await a.app.inject({
      method: 'PATCH',
      url: `/api/manage/api-keys/${keyId}`,
      headers: admin,
      payload: { enabled: false },
    })
    expect(disabled.statusCode).toBe(200)
    await until(() => b.app.keyPool.view(keyId)?.status === 'disabled', 2000, 'disabled on b')

    const created = await b.app.inject({
      method: 'POST',
      url: '/api/manage/client-keys',
      headers: admin,
      payload: { name: 'team-b', rpm: 5 },
    })
    expect(created.statusCode).toBe(201)
    await until(
      () => a.app.clientKeys.list().keys.some((key) => key.name === 'team-b'),
      2000,
      'the client key on a',
    )
    // The key made on b opens the proxy on a at once.
    const { plaintext } = created.json() as { plaintext: string }
    const models = await fetch(`${a.url}/v1/models`, {
      headers: { authorization: `Bearer ${plaintext}` },
    })
    expect(models.status, await models.text()).toBe(200)

    const egress = await a.app.inject({
      method: 'POST',
      url: '/api/manage/egresses',
      headers: admin,
      payload: { url: 'http://127.0.0.1:3128', label: 'added-on-a' },
    })
    expect(egress.statusCode).toBe(201)
    await until(
      () => b.app.egress.list().some((view) => view.label === 'added-on-a'),
      2000,
      'the egress on b',
    )
    expect(Date.now() - started).toBeLessThan(10_000)
  })

  it('takes over the lanes of an instance that lost its database, keeping their keys', {
    timeout: 30_000,
  }, async () => {
    const { upstream, a, b, gate } = await startCluster(2)
    await until(() => held(a).length === 2 && held(b).length === 2, 15_000, 'a fair split')
    // Traffic through b's lanes until its proxy lane has taken a key: two requests at a time,
    // for up to 10 s (a lane's first key is claimed in the database first, and meanwhile the
    // other lane may serve both).
    const directOfB = b.app.egress.list().find((egress) => egress.kind === 'direct')?.id
    const proxyOfB = held(b).find((id) => id !== directOfB) ?? 0
    const laneOfB = () => b.app.dispatch.status().egresses.find((lane) => lane.id === proxyOfB)
    const trafficFrom = Date.now()
    while (!laneOfB()?.switchGuard.currentKeyId && Date.now() - trafficFrom < 10_000) {
      const answers = await Promise.all([
        postJson(b.url, CHAT, chatBody()),
        postJson(b.url, CHAT, chatBody()),
      ])
      expect(answers.map((answer) => answer.status)).toEqual([200, 200])
    }
    const keyOnLane = laneOfB()?.switchGuard.currentKeyId ?? null
    expect(keyOnLane, JSON.stringify(laneOfB())).not.toBeNull()

    // b loses PostgreSQL (every connection cut, new ones refused): it stops sending through its
    // lanes before their leases expire, and a takes the shared one over after they expired.
    const lostAt = Date.now()
    gate.cut()
    await until(() => held(b).length === 0, 5000, 'b stops driving its lanes')
    const refused = await postJson(b.url, CHAT, chatBody())
    expect(refused.status).toBe(503)
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      'database_unavailable',
    )
    await until(() => held(a).includes(proxyOfB), 3000 + 5000, 'a takes the lane over')
    expect(Date.now() - lostAt).toBeLessThan(3000 + 5000)
    // The lane keeps its key: a sends it through the same source address.
    const lane = a.app.dispatch.status().egresses.find((entry) => entry.id === proxyOfB)
    expect(lane?.switchGuard.currentKeyId).toBe(keyOnLane)
    for (let i = 0; i < 4; i++) expect((await postJson(a.url, CHAT, chatBody())).status).toBe(200)
    expect(upstream.violations().total).toBe(0)
  })

  it('three instances: one proxy lane each beside their own direct lane, rebalanced when one leaves', {
    timeout: 30_000,
  }, async () => {
    const { a, b, more } = await startCluster(3, 3)
    const c = more[0] as Instance
    const all = [a, b, c]
    await until(() => all.every((x) => held(x).length === 2), 15_000, 'one proxy each')
    const lanes = all.flatMap(held)
    expect(new Set(lanes).size).toBe(6)
    // c stops cleanly: its proxy lane is drained, released, and taken by a or b.
    const proxyOfC = held(c).find(
      (id) => c.app.egress.list().find((egress) => egress.id === id)?.kind !== 'direct',
    ) as number
    await c.app.close()
    await until(
      () => held(a).includes(proxyOfC) || held(b).includes(proxyOfC),
      10_000,
      "c's lane taken over",
    )
    expect(held(a).length + held(b).length).toBe(5)
  })

  it('tells the other instances of a key state changed by traffic within 2 s', {
    timeout: 30_000,
  }, async () => {
    const { upstream, a, b } = await startCluster(0)
    await until(() => held(a).length === 1 && held(b).length === 1, 10_000, 'own lanes')
    // a's key answers 401 everywhere (its balance check too): a marks it invalid.
    expect((await postJson(a.url, CHAT, chatBody())).status).toBe(200)
    const laneOfA = held(a)[0] as number
    const keyId = a.app.dispatch.status().egresses.find((lane) => lane.id === laneOfA)?.switchGuard
      .currentKeyId as number
    const secret = laneKey(keyId)
    upstream.script({
      match: { key: secret },
      fault: {
        kind: 'status',
        status: 401,
        body: { code: 20001, message: 'Invalid token', data: null },
      },
      times: Number.POSITIVE_INFINITY,
    })
    await postJson(a.url, CHAT, chatBody())
    await until(() => a.app.keyPool.view(keyId)?.status === 'invalid', 5000, 'invalid on a')
    const tookMs = await until(
      () => b.app.keyPool.view(keyId)?.status === 'invalid',
      2000,
      'invalid on b',
    )
    expect(tookMs).toBeLessThan(2000)
  })

  it("counts a client key's daily requests across instances", { timeout: 30_000 }, async () => {
    const { a, b } = await startCluster(0)
    const created = await a.app.inject({
      method: 'POST',
      url: '/api/manage/client-keys',
      headers: admin,
      payload: { name: 'quota', dailyRequests: 4 },
    })
    const { plaintext } = created.json() as { plaintext: string }
    const ask = (url: string) =>
      fetch(`${url}${CHAT}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${plaintext}`, 'content-type': 'application/json' },
        body: JSON.stringify(chatBody()),
      })
    await until(
      () => b.app.clientKeys.list().keys.some((key) => key.name === 'quota'),
      2000,
      'the key on b',
    )
    for (const url of [a.url, a.url, b.url, b.url]) expect((await ask(url)).status).toBe(200)
    // Each instance counted two; once their counts are written and read back (usage is written
    // every 5 s, read every LEASE_SECONDS / 3), each knows the day's four.
    const usedToday = (instance: Instance) =>
      instance.app.clientKeys.list().keys.find((key) => key.name === 'quota')?.usage.requestsToday
    await until(() => usedToday(a) === 4 && usedToday(b) === 4, 10_000, 'four on both')
    const refused = await ask(b.url)
    expect(refused.status).toBe(429)
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      'client_quota_exceeded',
    )
  })
})
