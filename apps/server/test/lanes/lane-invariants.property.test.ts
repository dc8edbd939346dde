import { setTimeout as sleep } from 'node:timers/promises'
import { startMockUpstream } from '@sfp/test-support/upstream'
import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import { describe, expect, it } from 'vitest'
import { startLaneProxies } from '../helpers/lanes-app.js'
import { basicAuth, buildTestApp, TEST_CLIENT_KEY, tempDataDir } from '../helpers/test-app.js'

const CHAT = '/v1/chat/completions'
/** The gateway's guard window; the upstream watches with a little less, for its own lag. */
const GUARD_MS = 1500
const WATCH_MS = GUARD_MS - 100
const KEYS = 6

type Op =
  | { op: 'burst'; requests: number }
  | {
      op: 'keyFails'
      key: number
      how: 'unauthorized' | 'lowBalance' | 'rateLimited' | 'serverError'
    }
  | { op: 'blockNext' }
  | { op: 'killProxy'; proxy: number }
  | { op: 'restartProxy'; proxy: number }
  | { op: 'toggleKey'; key: number }
  | { op: 'toggleEgress'; egress: number }
  | { op: 'checkEgress'; egress: number }
  | { op: 'restartGateway' }
  | { op: 'wait'; ms: number }

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('burst' as const),
      requests: fc.integer({ min: 1, max: 6 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('keyFails' as const),
      key: fc.nat({ max: KEYS - 1 }),
      how: fc.constantFrom(
        'unauthorized' as const,
        'lowBalance' as const,
        'rateLimited' as const,
        'serverError' as const,
      ),
    }),
  },
  fc.record({ op: fc.constant('blockNext' as const) }),
  fc.record({ op: fc.constant('killProxy' as const), proxy: fc.nat({ max: 2 }) }),
  fc.record({ op: fc.constant('restartProxy' as const), proxy: fc.nat({ max: 2 }) }),
  fc.record({ op: fc.constant('toggleKey' as const), key: fc.nat({ max: KEYS - 1 }) }),
  fc.record({ op: fc.constant('toggleEgress' as const), egress: fc.nat({ max: 3 }) }),
  fc.record({ op: fc.constant('checkEgress' as const), egress: fc.nat({ max: 3 }) }),
  fc.record({ op: fc.constant('restartGateway' as const) }),
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('wait' as const),
      ms: fc.integer({ min: 0, max: GUARD_MS + 200 }),
    }),
  },
)

const admin = { authorization: basicAuth() }
let runs = 0

/**
 * Random traffic through four lanes (this host, two HTTP proxies and a SOCKS5 proxy, each with
 * its own source address) with key failures, IP blocks, proxy deaths and restarts, admin actions
 * and gateway restarts: the look-alike upstream must never see invariants 1-3 broken, every
 * request must be answered, and no slot may be left taken.
 */
async function run(ops: Op[]): Promise<void> {
  runs += 1
  const keys = Array.from({ length: KEYS }, (_, n) => `sk-p${runs}k${n}-${'x'.repeat(36)}`)
  const proxies = await startLaneProxies(2, 1)
  const all = [...proxies.http, ...proxies.socks]
  const upstream = await startMockUpstream({
    acceptAnyKey: true,
    sseIntervalMs: 1,
    invariants: { guardWindowMs: WATCH_MS, concurrency: 1 },
  })
  const dataDir = tempDataDir()
  const env = {
    UPSTREAM_BASE_URL: upstream.url,
    EGRESS_PROXIES: proxies.urls.join(','),
    KEY_SWITCH_GUARD_MINUTES: String(GUARD_MS / 60_000),
    EGRESS_BLOCK_MINUTES: '0.1',
    UPSTREAM_RETRIES: '1',
    KEY_ERROR_THRESHOLD: '2',
    AUTO_QUERY_BALANCE_AFTER_CALLS: '0',
    BALANCE_REFRESH_MINUTES: '0',
    DISPATCH_QUEUE_TIMEOUT_MS: '5000',
    UPSTREAM_HEADERS_TIMEOUT_MS: '5000',
  }
  const boot = async (): Promise<{ app: FastifyInstance; url: string }> => {
    const { app } = await buildTestApp(env, { dataDir })
    const url = await app.listen({ port: 0, host: '127.0.0.1' })
    return { app, url }
  }
  let gateway = await boot()
  await gateway.app.keyPool.add({ api_keys: keys.join('\n') })
  const statuses: number[] = []
  try {
    for (const step of ops) {
      const { app, url } = gateway
      switch (step.op) {
        case 'burst': {
          const answers = await Promise.all(
            Array.from({ length: step.requests }, () =>
              fetch(`${url}${CHAT}`, {
                method: 'POST',
                headers: {
                  authorization: `Bearer ${TEST_CLIENT_KEY}`,
                  'content-type': 'application/json',
                },
                body: JSON.stringify({
                  model: 'Qwen/Qwen2.5-7B-Instruct',
                  messages: [{ role: 'user', content: 'hi' }],
                }),
                signal: AbortSignal.timeout(20_000),
              }).then(async (response) => {
                await response.arrayBuffer()
                return response.status
              }),
            ),
          )
          statuses.push(...answers)
          break
        }
        case 'keyFails': {
          const key = keys[step.key] as string
          if (step.how === 'unauthorized') {
            const body = { code: 20001, message: 'Invalid token', data: null }
            upstream.script({
              match: { key },
              fault: { kind: 'status', status: 401, body },
              times: 3,
            })
          } else if (step.how === 'lowBalance') {
            upstream.setAccount(key, { totalBalance: '0.10' })
            upstream.script({
              match: { key, path: CHAT },
              fault: { kind: 'status', status: 403, body: { message: 'Insufficient balance' } },
            })
          } else if (step.how === 'rateLimited') {
            upstream.script({
              match: { key, path: CHAT },
              fault: {
                kind: 'status',
                status: 429,
                headers: { 'retry-after': '1' },
                body: { message: 'TPM limit reached.' },
              },
            })
          } else {
            upstream.script({
              match: { key, path: CHAT },
              fault: { kind: 'status', status: 500, body: { message: 'boom' } },
              times: 2,
            })
          }
          break
        }
        case 'blockNext':
          upstream.script({
            match: { path: CHAT },
            fault: {
              kind: 'status',
              status: 503,
              body: { code: 50603, message: 'System is really busy.', data: null },
            },
          })
          break
        case 'killProxy':
          await all[step.proxy]?.kill()
          break
        case 'restartProxy':
          await all[step.proxy]?.restart().catch(() => {})
          break
        case 'toggleKey': {
          const view = app.keyPool.list({ offset: 0 }).keys[step.key]
          if (view) app.keyPool.update(view.id, { enabled: view.status === 'disabled' })
          break
        }
        case 'toggleEgress': {
          const egress = app.egress.list()[step.egress]
          if (egress) app.egress.update(egress.id, { enabled: !egress.enabled })
          break
        }
        case 'checkEgress': {
          const egress = app.egress.list()[step.egress]
          if (egress) {
            await app.inject({
              method: 'POST',
              url: `/api/manage/egresses/${egress.id}/check`,
              headers: admin,
            })
          }
          break
        }
        case 'restartGateway':
          await app.close()
          gateway = await boot()
          break
        case 'wait':
          await sleep(step.ms)
          break
      }
      const status = gateway.app.dispatch.status()
      for (const lane of status.egresses) expect(lane.dispatch.inFlight).toBeLessThanOrEqual(1)
    }
    // Every request got an answer (a success, a passed-through upstream error or a refusal).
    for (const status of statuses) expect(status).toBeGreaterThanOrEqual(200)
    expect(gateway.app.dispatch.status().dispatch).toMatchObject({ inFlight: 0, queued: 0 })
    expect(upstream.violations()).toMatchObject({ total: 0 })
  } finally {
    await gateway.app.close()
    await upstream.close()
    await proxies.close()
  }
}

describe('lane invariants through the whole server, real proxies and restarts', () => {
  it('never break under random traffic, failures, admin actions and restarts', async () => {
    await fc.assert(fc.asyncProperty(fc.array(opArbitrary, { minLength: 4, maxLength: 14 }), run), {
      numRuns: 15,
    })
  }, 240_000)
})
