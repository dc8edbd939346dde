import type { AddressInfo } from 'node:net'
import { openPostgres } from '@sfp/db/pg'
import {
  describePostgres,
  openPgGate,
  type PgGate,
  useTestSchema,
} from '@sfp/test-support/postgres'
import { type MockUpstream, startMockUpstream } from '@sfp/test-support/upstream'
import { afterEach, expect, it } from 'vitest'
import { until, urlOn } from '../helpers/cluster.js'
import { laneKey } from '../helpers/lanes-app.js'
import { chatBody, postJson } from '../helpers/proxy-app.js'
import { buildTestApp } from '../helpers/test-app.js'

const CHAT = '/v1/chat/completions'
const LEASE_SECONDS = 3

const opened: { close(): Promise<void> }[] = []
afterEach(async () => {
  for (const resource of opened.splice(0).reverse()) await resource.close()
})

describePostgres('cluster mode: PostgreSQL goes away and comes back', () => {
  const schema = useTestSchema(openPostgres)

  it('serves while its lease is valid, answers 503 database_unavailable after, recovers by itself, and loses no log row', {
    timeout: 60_000,
  }, async () => {
    const gate: PgGate = await openPgGate(schema.url)
    opened.push(gate)
    const upstream: MockUpstream = await startMockUpstream({
      acceptAnyKey: true,
      invariants: { guardWindowMs: 30 * 60_000, concurrency: 1 },
    })
    opened.push(upstream)
    upstream.script({
      match: { path: CHAT },
      fault: { kind: 'delay', ms: 20 },
      times: Number.POSITIVE_INFINITY,
    })
    const { app } = await buildTestApp({
      DATABASE_URL: urlOn(gate.url, schema.name),
      UPSTREAM_BASE_URL: upstream.url,
      INSTANCE_ID: 'sfp-outage',
      EGRESS_DIRECT_ADDRESS: '127.0.0.12',
      LEASE_SECONDS: String(LEASE_SECONDS),
      AUTO_QUERY_BALANCE_AFTER_CALLS: '0',
      BALANCE_REFRESH_MINUTES: '0',
    })
    schema.closeBeforeDrop(app)
    await app.keyPool.add({ api_keys: laneKey(1) })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
    const held = () => app.cluster.instances().find((entry) => entry.self)?.lanes ?? []
    await until(() => held().length === 1, 5000, 'the instance drives its lane')

    const statuses: number[] = []
    const ask = async () => {
      const answer = await postJson(url, CHAT, chatBody())
      statuses.push(answer.status)
      return answer
    }
    for (let i = 0; i < 3; i++) expect((await ask()).status).toBe(200)
    // Under load from here on: three clients asking one after another each.
    let loading = true
    const codes: string[] = []
    const load = Array.from({ length: 3 }, async () => {
      while (loading) {
        const answer = await ask()
        if (answer.status !== 200) {
          codes.push(((await answer.json()) as { error: { code: string } }).error.code)
        } else await answer.arrayBuffer()
      }
    })

    // PostgreSQL goes away (every connection reset, new ones refused).
    gate.cut()
    // The lease taken before is still good for a while: requests are served meanwhile.
    expect((await ask()).status).toBe(200)
    // Before the lease can expire the instance stops sending, and says why.
    await until(() => held().length === 0, LEASE_SECONDS * 1000, 'the lane lapses')
    const refused = await ask()
    expect(refused.status).toBe(503)
    expect(refused.headers.get('retry-after')).not.toBeNull()
    const body = (await refused.json()) as { error: { code: string; message: string } }
    expect(body.error.code).toBe('database_unavailable')

    // PostgreSQL is back: the instance renews, takes its lane again and serves.
    gate.restore()
    await until(() => held().length === 1, 3 * LEASE_SECONDS * 1000, 'the lane is driven again')
    loading = false
    await Promise.all(load)
    for (let i = 0; i < 3; i++) expect((await ask()).status).toBe(200)
    // Under load, only answers and the outage's own refusal; the lane's rules held throughout.
    expect(new Set(statuses)).toEqual(new Set([200, 503]))
    expect(new Set(codes)).toEqual(new Set(['database_unavailable']))
    expect(upstream.violations().total).toBe(0)

    // Every request made, served or refused, has its row: the rows of the outage waited in memory.
    expect(app.requestLog.dropped()).toBe(0)
    const byStatus = (list: number[]) =>
      Object.fromEntries([...new Set(list)].map((s) => [s, list.filter((x) => x === s).length]))
    const storedByStatus = async () => {
      await app.requestLog.flush()
      const stored = await app.database.postgres?.pool.query<{ status: number; rows: number }>(
        'SELECT status, count(*)::int AS rows FROM request_logs GROUP BY status',
      )
      return Object.fromEntries((stored?.rows ?? []).map((row) => [row.status, row.rows]))
    }
    // The last answer's row is recorded just after it was sent.
    let stored = await storedByStatus()
    for (let i = 0; i < 50 && JSON.stringify(stored) !== JSON.stringify(byStatus(statuses)); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20))
      stored = await storedByStatus()
    }
    expect(stored).toEqual(byStatus(statuses))
  })
})
