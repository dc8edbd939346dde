import { type MockUpstream, startMockUpstream } from '@sfp/test-support/upstream'
import type { InjectOptions } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { REDACTED_PATHS } from '../../src/build-server.js'
import { basicAuth, buildTestApp } from '../helpers/test-app.js'

const GOOD = `sk-good${'g'.repeat(41)}`
const LOW = `sk-low0${'l'.repeat(41)}`
const FROZEN = `sk-frzn${'f'.repeat(41)}`
const REJECTED = `sk-bad0${'b'.repeat(41)}`
const KEYS = [GOOD, LOW, FROZEN, REJECTED]

let upstream: MockUpstream | undefined
afterEach(async () => {
  await upstream?.close()
})

/**
 * One admin session touching every key route, the pool's outcome rules and its balance checks,
 * with the server logging everything it can (trace). Afterwards no full upstream key may appear
 * in any answer, log line or key event: only the export route carries them.
 */
describe('upstream keys never leak', () => {
  it('appear in no response body, log line or key event, only in the export', async () => {
    upstream = await startMockUpstream({
      accounts: {
        [GOOD]: { totalBalance: '20.00' },
        [LOW]: { totalBalance: '0.30' },
        [FROZEN]: { totalBalance: '5.00', status: 'frozen' },
      },
    })
    const logLines: string[] = []
    const { app } = await buildTestApp(
      {
        UPSTREAM_BASE_URL: upstream.url,
        KEY_ERROR_THRESHOLD: '2',
        AUTO_QUERY_BALANCE_AFTER_CALLS: '1',
      },
      {
        logger: {
          level: 'trace',
          redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
          stream: { write: (line: string) => logLines.push(line) },
        },
      },
    )
    const bodies: { url: string; body: string }[] = []
    const call = async (method: InjectOptions['method'], url: string, payload?: object) => {
      const response = await app.inject({
        method,
        url: `/api/manage${url}`,
        headers: { authorization: basicAuth() },
        ...(payload ? { payload } : {}),
      })
      bodies.push({ url, body: response.body })
      return response
    }

    // Every route, successes and failures, with keys in the input wherever they can go.
    await call('POST', '/api-keys', { api_key: GOOD, label: 'first' })
    await call('POST', '/api-keys', {
      api_keys: `${KEYS.join('\n')}\n${GOOD}中文 ${GOOD}${'x'.repeat(300)} ${LOW.slice(0, 7)}`,
    })
    await call('POST', '/api-keys', { api_key: GOOD, extra: GOOD })
    await call('POST', '/api-keys', { api_key: `${GOOD} `.repeat(500) })
    await call('GET', '/api-keys')
    await call('GET', '/api-keys?status=active&limit=2')
    // (No key in a URL: every request's URL is logged, and no route takes a key there.)
    await call('GET', '/api-keys?status=asleep&offset=-1')
    await call('PATCH', '/api-keys/1', { label: 'renamed' })
    await call('PATCH', '/api-keys/1', { label: GOOD, enabled: GOOD })
    await call('PUT', '/api-keys/3/activate')
    for (const id of [1, 2, 3, 4, 99]) await call('POST', `/api-keys/${id}/check`)
    await call('POST', '/api-keys/bulk', { action: 'check', ids: [1, 2, 3, 4] })
    await call('POST', '/api-keys/bulk', { action: 'disable', ids: [2, 3] })
    await call('POST', '/api-keys/bulk', { action: 'enable', ids: [2, 3, 50] })
    await call('POST', '/api-keys/bulk', { action: GOOD, ids: [1] })
    // The proxy's reports, including upstream text that quotes the key back.
    const pool = app.keyPool
    await pool.report(1, { kind: 'success' })
    await pool.report(1, { kind: 'upstreamError', status: 500, message: `key ${GOOD} broke` })
    await pool.report(1, { kind: 'networkError', code: 'UND_ERR_SOCKET' })
    await pool.report(2, { kind: 'forbidden', status: 403 })
    await pool.report(4, { kind: 'unauthorized' })
    await pool.report(3, { kind: 'rateLimited', retryAfterMs: null })
    // A switch explanation whose param quotes the key: stored and answered masked.
    pool.bind(2, 1, Date.now(), {
      code: 'key_switch',
      params: {
        egressId: 1,
        fromKeyId: 1,
        toKeyId: 2,
        current: { keyId: 1, status: `switched away from ${GOOD}` },
        guardMinutes: null,
      },
    })
    await pool.settled?.()
    await call('GET', '/key-events?limit=500')
    await call('GET', '/key-events?keyId=1')
    const exported = await call('GET', '/api-keys/export')
    await call('DELETE', '/api-keys/4')
    await call('DELETE', '/api-keys/4')
    await call('POST', '/api-keys/bulk', { action: 'delete', ids: [3, 77] })
    const events = (await app.database.keyEvents.list({ limit: 100_000 })).map((e) =>
      JSON.stringify(e),
    )
    await app.close()

    expect(exported.body.split('\n')).toEqual(expect.arrayContaining(KEYS))
    const answers = bodies.filter(({ url }) => url !== '/api-keys/export')
    expect(answers.length).toBeGreaterThan(20)
    expect(events.length).toBeGreaterThan(10)
    // At trace level every request leaves at least its "request completed" line.
    expect(logLines.length).toBeGreaterThanOrEqual(answers.length)
    const haystacks = [...answers.map(({ body }) => body), ...logLines, ...events]
    for (const key of KEYS) {
      const leaks = haystacks.filter((text) => text.includes(key))
      expect(
        leaks.map((t) => t.slice(0, 600)),
        `${key.slice(0, 7)}… leaked`,
      ).toEqual([])
    }
    // And they were there to be leaked: upstream saw them.
    expect(new Set(upstream.requests.map((r) => r.key))).toEqual(new Set(KEYS))
  })
})
