import { describe, expect, it } from 'vitest'
import { laneKey, startLaneProxies, startLanesApp } from '../helpers/lanes-app.js'
import { chatBody, postJson } from '../helpers/proxy-app.js'

const CHAT = '/v1/chat/completions'
const GUARD_MINUTES = '30'

/**
 * Egress lanes through the whole server: real HTTP CONNECT and SOCKS5 proxies, each going out
 * from its own loopback address, in front of the look-alike upstream that watches invariants 1-3.
 */
describe('egress lanes through real proxies', () => {
  it('serves three lanes in parallel, each with its own key and source address', async () => {
    const proxies = await startLaneProxies(2, 1)
    const { upstream, url, app } = await startLanesApp(
      {
        EGRESS_DIRECT: 'false',
        EGRESS_PROXIES: proxies.urls.join(','),
        KEY_SWITCH_GUARD_MINUTES: GUARD_MINUTES,
      },
      {
        keyCount: 3,
        upstream: { invariants: { guardWindowMs: 30 * 60_000, concurrency: 1 } },
      },
    )
    upstream.script({
      match: { path: CHAT },
      fault: { kind: 'delay', ms: 300 },
      times: Number.POSITIVE_INFINITY,
    })
    const started = Date.now()
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => postJson(url, CHAT, chatBody())),
    )
    const elapsed = Date.now() - started
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 200])
    // Three lanes at once: two rounds of 300 ms, not six.
    expect(elapsed).toBeLessThan(6 * 300)
    const bySource = new Map<string, Set<string | undefined>>()
    for (const request of upstream.requests) {
      const keys = bySource.get(request.sourceAddress) ?? new Set()
      keys.add(request.key)
      bySource.set(request.sourceAddress, keys)
    }
    expect([...bySource.keys()].sort()).toEqual([...proxies.addresses].sort())
    for (const keys of bySource.values()) expect(keys.size).toBe(1)
    expect(new Set(upstream.requests.map((request) => request.key))).toEqual(
      new Set([laneKey(1), laneKey(2), laneKey(3)]),
    )
    expect(upstream.violations().total).toBe(0)
    // No proxy credential ever reached the upstream.
    for (const request of upstream.requests) {
      expect(JSON.stringify(request.headers)).not.toContain('lane-pass-s3cret')
    }
    const lanes = app.dispatch.status().egresses.filter((lane) => lane.state !== 'disabled')
    expect(lanes.map((lane) => lane.switchGuard.currentKeyId)).toEqual(
      app.keyPool.list({ offset: 0 }).keys.map((key) => key.id),
    )
  })

  it('costs no outage when a key dies on one lane: the other lanes keep serving', async () => {
    const proxies = await startLaneProxies(2, 0)
    const { upstream, url, app, keys } = await startLanesApp(
      {
        EGRESS_DIRECT: 'false',
        EGRESS_PROXIES: proxies.urls.join(','),
        KEY_SWITCH_GUARD_MINUTES: GUARD_MINUTES,
      },
      { keyCount: 2, upstream: { invariants: { guardWindowMs: 30 * 60_000, concurrency: 1 } } },
    )
    // Both lanes take their key.
    await Promise.all([postJson(url, CHAT, chatBody()), postJson(url, CHAT, chatBody())])
    // Key 1 (lane 1) dies: 401 everywhere, /user/info included.
    upstream.script({
      match: { key: laneKey(1) },
      fault: {
        kind: 'status',
        status: 401,
        body: { code: 20001, message: 'Invalid token', data: null },
      },
      times: Number.POSITIVE_INFINITY,
    })
    const statuses: number[] = []
    for (let i = 0; i < 6; i++) statuses.push((await postJson(url, CHAT, chatBody())).status)
    // Lane 1's request got its key's 503 guard refusal once at most; lane 2 served all others.
    expect(statuses.filter((status) => status === 200).length).toBeGreaterThanOrEqual(5)
    expect(app.keyPool.view(keys[0]?.id ?? 0)?.status).toBe('invalid')
    expect(upstream.violations().total).toBe(0)
  })

  it('moves a request off an IP that upstream blocked (50603) and off a dead proxy', async () => {
    const proxies = await startLaneProxies(2, 1)
    const { upstream, url, app, keys } = await startLanesApp(
      {
        EGRESS_DIRECT: 'false',
        EGRESS_PROXIES: proxies.urls.join(','),
        KEY_SWITCH_GUARD_MINUTES: GUARD_MINUTES,
      },
      { keyCount: 3, upstream: { invariants: { guardWindowMs: 30 * 60_000, concurrency: 1 } } },
    )
    await Promise.all(Array.from({ length: 3 }, () => postJson(url, CHAT, chatBody())))
    const [first, second] = app.egress.list().filter((egress) => egress.kind !== 'direct')
    // The next request goes to lane 1 (least recently busy): upstream blocks its IP.
    upstream.script({
      match: { key: laneKey(1) },
      fault: {
        kind: 'status',
        status: 503,
        body: { code: 50603, message: 'System is really busy.', data: null },
      },
    })
    const moved = await postJson(url, CHAT, chatBody())
    expect(moved.status).toBe(200)
    expect(app.egress.view(first?.id ?? 0)).toMatchObject({ state: 'blocked' })
    expect(app.keyPool.view(keys[0]?.id ?? 0)).toMatchObject({ status: 'active', errorCount: 0 })
    // The second lane's proxy dies: its next request moves on, the egress goes down.
    await proxies.http[1]?.kill()
    const answers = await Promise.all([
      postJson(url, CHAT, chatBody()),
      postJson(url, CHAT, chatBody()),
    ])
    expect(answers.map((answer) => answer.status)).toEqual([200, 200])
    expect(app.egress.view(second?.id ?? 0)).toMatchObject({ state: 'down' })
    expect(app.keyPool.view(keys[1]?.id ?? 0)).toMatchObject({ status: 'active', errorCount: 0 })
    // Back up after the proxy is, through the admin check.
    await proxies.http[1]?.restart()
    const check = await app.egress.check(second?.id ?? 0)
    expect(check).toMatchObject({ ok: true, error: null })
    expect(app.egress.view(second?.id ?? 0)).toMatchObject({ state: 'up' })
    expect(upstream.violations().total).toBe(0)
  })
})
