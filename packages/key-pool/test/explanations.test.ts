import { type Explanation, explanationSchema } from '@sfp/schemas'
import type { MockAccount } from '@sfp/test-support/upstream'
import { describe, expect, it } from 'vitest'
import type { AttemptOutcome } from '../src/types.js'
import { toKeyEventView } from '../src/views.js'
import { override } from './helpers/lanes.js'
import {
  addKeys,
  createTestPool,
  fakeKey,
  startUpstream,
  storedEvents,
} from './helpers/test-pool.js'

/**
 * Every reason the pool gives (key events, `lastError`) is also a code with typed params, stored
 * as such and read back after a restart: the dashboard translates codes, never English sentences.
 */

const KEY = fakeKey(1)

async function poolWith(account: MockAccount | null) {
  const upstream = await startUpstream(
    account === null ? { [fakeKey(999)]: {} } : { [KEY]: account },
  )
  const test = await createTestPool({
    settings: { upstreamBaseUrl: upstream.url, keyErrorThreshold: 3, balanceCheckTimeoutMs: 100 },
  })
  const [id = 0] = await addKeys(test.pool, [KEY])
  return { test, id }
}

async function reportAll(
  setup: Awaited<ReturnType<typeof poolWith>>,
  outcomes: AttemptOutcome[],
): Promise<void> {
  for (const outcome of outcomes) await setup.test.pool.report(setup.id, outcome)
}

/** After a restart: what the database gives back, through the API's views. */
async function storedAfterRestart({ test, id }: Awaited<ReturnType<typeof poolWith>>) {
  const restarted = await test.restart()
  const events = (await storedEvents(restarted.storage, { keyId: id, limit: 100 })).reverse()
  return {
    key: restarted.pool.view(id),
    states: events
      .filter((event) => event.type === 'state')
      .map((event) => ({ to: event.toStatus, explanation: event.explanation })),
    events,
  }
}

const network = (code: string): AttemptOutcome => ({ kind: 'networkError', code })

describe('key explanations: codes and params, stored', () => {
  it('failures up to the threshold: key_failures with the count, the last error and the check', async () => {
    const setup = await poolWith({ totalBalance: '50.00' })
    await reportAll(setup, [network('ECONNRESET'), network('ECONNRESET'), network('ECONNREFUSED')])
    const { key, states } = await storedAfterRestart(setup)
    const lastError: Explanation = { code: 'network_error', params: { detail: 'ECONNREFUSED' } }
    expect(key).toMatchObject({ status: 'error', lastErrorDetail: lastError })
    expect(key?.lastError).toBe('network error: ECONNREFUSED')
    expect(states).toEqual([
      {
        to: 'error',
        explanation: {
          code: 'key_failures',
          params: {
            count: 3,
            last: 'network_error',
            status: null,
            detail: 'ECONNREFUSED',
            check: { kind: 'balance', balance: 50, accountStatus: null },
          },
        },
      },
    ])
  })

  it('a 5xx below the threshold: upstream_error with the status and upstream words', async () => {
    const setup = await poolWith({ totalBalance: '50.00' })
    await reportAll(setup, [{ kind: 'upstreamError', status: 503, message: 'too busy' }])
    const { key } = await storedAfterRestart(setup)
    expect(key?.lastErrorDetail).toEqual({
      code: 'upstream_error',
      params: { status: 503, detail: 'too busy' },
    })
  })

  it('a confirmed 401: key_rejected, as the state reason and the last error', async () => {
    const setup = await poolWith(null)
    await reportAll(setup, [{ kind: 'unauthorized' }])
    const { key, states } = await storedAfterRestart(setup)
    const rejected: Explanation = {
      code: 'key_rejected',
      params: { check: { kind: 'invalid', userInfoStatus: 401, modelsStatus: null } },
    }
    expect(key).toMatchObject({ status: 'invalid', lastErrorDetail: rejected })
    expect(states).toEqual([{ to: 'invalid', explanation: rejected }])
  })

  it('a 403 with a low balance: forbidden with the status and the balance', async () => {
    const setup = await poolWith({ totalBalance: '0.5' })
    await reportAll(setup, [{ kind: 'forbidden', status: 403 }])
    const { key, states } = await storedAfterRestart(setup)
    expect(key).toMatchObject({
      status: 'insufficient',
      lastErrorDetail: { code: 'http_status', params: { status: 403 } },
    })
    expect(states).toEqual([
      {
        to: 'insufficient',
        explanation: {
          code: 'forbidden',
          params: { status: 403, check: { kind: 'balance', balance: 0.5, accountStatus: null } },
        },
      },
    ])
  })

  it('a 429: rate_limited with the seconds and the strike, or Retry-After', async () => {
    const setup = await poolWith({ totalBalance: '50.00' })
    await reportAll(setup, [{ kind: 'rateLimited', retryAfterMs: null }])
    const rateLimited: Explanation = {
      code: 'rate_limited',
      params: { seconds: 30, strike: 1, limit: null },
    }
    const first = await storedAfterRestart(setup)
    expect(first.key).toMatchObject({ status: 'cooling', lastErrorDetail: rateLimited })
    expect(first.states).toEqual([{ to: 'cooling', explanation: rateLimited }])

    const other = await poolWith({ totalBalance: '50.00' })
    await reportAll(other, [{ kind: 'rateLimited', retryAfterMs: 12_000 }])
    expect((await storedAfterRestart(other)).key?.lastErrorDetail).toEqual({
      code: 'rate_limited',
      params: { seconds: 12, strike: null, limit: null },
    })
  })

  it('the admin: added, disabled, enabled, activation override, deleted', async () => {
    const setup = await poolWith({ totalBalance: '50.00' })
    const { pool } = setup.test
    pool.update(setup.id, { enabled: false })
    pool.update(setup.id, { enabled: true })
    pool.update(setup.id, { enabled: false })
    pool.activate(setup.id, override(2))
    const codes = (await storedAfterRestart(setup)).events.map((event) => [
      event.type,
      event.explanation,
    ])
    expect(codes).toEqual([
      ['added', { code: 'added_by_admin', params: {} }],
      ['state', { code: 'disabled_by_admin', params: {} }],
      ['state', { code: 'enabled_by_admin', params: {} }],
      ['state', { code: 'disabled_by_admin', params: {} }],
      ['state', { code: 'activated_by_admin', params: {} }],
      ['override', { code: 'activation_override', params: { egressId: 2 } }],
    ])
  })

  it('every stored explanation is valid against the shared schema', async () => {
    const setup = await poolWith({ totalBalance: '50.00' })
    await reportAll(setup, [network('ECONNRESET'), { kind: 'rateLimited', retryAfterMs: null }])
    await setup.test.pool.remove([setup.id])
    const { events } = await storedAfterRestart(setup)
    expect(events.length).toBeGreaterThan(2)
    for (const event of events) {
      expect(explanationSchema.safeParse(event.explanation).success).toBe(true)
    }
    expect(events.at(-1)?.explanation).toEqual({ code: 'deleted_by_admin', params: {} })
  })

  it('rows written before codes existed keep their text and answer a null explanation', async () => {
    const setup = await poolWith({ totalBalance: '50.00' })
    await setup.test.storage.upstreamKeys.update(setup.id, { lastError: 'old words' })
    setup.test.handle.sqlite
      .prepare('UPDATE key_events SET explanation = \'{"code":"from_the_future"}\'')
      .run()
    const { key, events } = await storedAfterRestart(setup)
    expect(key).toMatchObject({ lastError: 'old words', lastErrorDetail: null })
    expect(events.map(toKeyEventView)).toEqual([
      expect.objectContaining({ reason: 'added by admin', explanation: null }),
    ])
  })
})
