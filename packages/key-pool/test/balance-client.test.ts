import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ScriptedFault } from '@sfp/test-support/upstream'
import { afterEach, describe, expect, it } from 'vitest'
import { type BalanceClient, createBalanceClient, type KeyCheck } from '../src/balance-client.js'
import { fakeKey, startUpstream } from './helpers/test-pool.js'

const KEY = fakeKey(1)
let client: BalanceClient | undefined
afterEach(async () => {
  await client?.close()
  client = undefined
})

async function check(
  setup: { account?: Record<string, string>; faults?: ScriptedFault[]; known?: boolean } = {},
) {
  const upstream = await startUpstream(
    setup.known === false ? { [fakeKey(2)]: {} } : { [KEY]: setup.account ?? {} },
  )
  if (setup.faults) upstream.script(...setup.faults)
  client = createBalanceClient({ baseUrl: upstream.url, connectTimeoutMs: 1000, timeoutMs: 100 })
  // The summary (what upstream answered, the key_check explanation's params) is asserted apart.
  const { summary, ...result } = await client.checkKey(KEY)
  return { result, summary, upstream }
}

/** user/info answering 200 with this JSON (or raw text). */
const userInfo = (body: unknown): ScriptedFault => ({
  match: { path: '/v1/user/info' },
  fault: { kind: 'status', status: 200, body },
})
const userInfoStatus = (status: number): ScriptedFault => ({
  match: { path: '/v1/user/info' },
  fault: { kind: 'status', status, body: { message: 'x', data: null } },
})

describe('balance client: GET /v1/user/info on a real socket', () => {
  it('reads totalBalance as a number and sends the key as a bearer token', async () => {
    const { result, upstream } = await check({
      account: { balance: '0.88', chargeBalance: '88.00', totalBalance: '88.88' },
    })
    expect(result).toEqual({ kind: 'balance', totalBalance: 88.88, accountStatus: 'normal' })
    expect(upstream.requests.map((r) => [r.method, r.path, r.key])).toEqual([
      ['GET', '/v1/user/info', KEY],
    ])
  })

  it.each([
    ['a negative string', '-12.50', -12.5],
    ['zero', '0', 0],
    ['padded with spaces', ' 7.25 ', 7.25],
    ['a JSON number', 3.5, 3.5],
  ])('parses %s', async (_, totalBalance, expected) => {
    const { result } = await check({ faults: [userInfo({ data: { totalBalance } })] })
    expect(result).toEqual({ kind: 'balance', totalBalance: expected, accountStatus: null })
  })

  it('never reads the gift balance `balance`: a paid key with no gift is not empty', async () => {
    const { result } = await check({
      account: { balance: '0.00', chargeBalance: '20.00', totalBalance: '20.00' },
    })
    expect(result).toMatchObject({ kind: 'balance', totalBalance: 20 })
  })

  it('reports a restricted account status without judging it', async () => {
    const { result, summary } = await check({ account: { totalBalance: '5', status: 'frozen' } })
    expect(result).toEqual({ kind: 'balance', totalBalance: 5, accountStatus: 'frozen' })
    expect(summary).toEqual({ kind: 'balance', balance: 5, accountStatus: 'frozen' })
  })

  const unknownBodies: [string, unknown][] = [
    ['missing totalBalance', { code: 20000, data: { balance: '5.00' } }],
    ['missing data', { code: 20000, message: 'OK' }],
    ['data null', { code: 20000, data: null }],
    ['a non-numeric string', { data: { totalBalance: 'lots' } }],
    ['an empty string', { data: { totalBalance: '' } }],
    ['NaN', { data: { totalBalance: 'NaN' } }],
    ['an exponent', { data: { totalBalance: '1e3' } }],
  ]
  it.each(unknownBodies)('treats %s as unknown, never zero', async (_, body) => {
    const { result, summary } = await check({ faults: [userInfo(body)] })
    expect(result).toEqual({ kind: 'unknown', valid: true })
    expect(summary).toEqual({
      kind: 'unknown',
      userInfoStatus: 200,
      modelsStatus: null,
      problem: 'no_balance',
      error: null,
    })
  })

  // Whatever answered may not be the API (a maintenance page): it vouches for no key.
  it.each([
    ['an HTML maintenance page', '<html><body>Under maintenance</body></html>'],
    ['malformed JSON', '{"code":20000,"data":{"totalBalance":'],
    ['an empty body', ''],
    ['a JSON string', '"OK"'],
    ['JSON null', 'null'],
  ])('treats a 200 with %s as unknown, validity unknown too', async (_, body) => {
    const { result, summary } = await check({ faults: [userInfo(body)] })
    expect(result).toEqual({ kind: 'unknown', valid: false })
    expect(summary).toMatchObject({ kind: 'unknown', userInfoStatus: 200, problem: 'no_json' })
  })

  it('treats the mock malformed mode as unknown, validity unknown too', async () => {
    const upstream = await startUpstream({ [KEY]: { totalBalance: '9' } })
    upstream.setUserInfoMode('malformed')
    client = createBalanceClient({ baseUrl: upstream.url, connectTimeoutMs: 1000, timeoutMs: 100 })
    expect(await client.checkKey(KEY)).toMatchObject({ kind: 'unknown', valid: false })
  })

  it('401: invalid, without asking anything else', async () => {
    const { result, summary, upstream } = await check({ known: false })
    expect(result).toEqual({ kind: 'invalid' })
    expect(summary).toEqual({ kind: 'invalid', userInfoStatus: 401, modelsStatus: null })
    expect(upstream.requests).toHaveLength(1)
  })

  it.each([404, 410])('%i: balance unknown, validity from /v1/models (200)', async (status) => {
    const { result, summary, upstream } = await check({ faults: [userInfoStatus(status)] })
    expect(result).toEqual({ kind: 'unknown', valid: true })
    expect(summary).toEqual({
      kind: 'unknown',
      userInfoStatus: status,
      modelsStatus: 200,
      problem: 'status',
      error: null,
    })
    expect(upstream.requests.map((r) => r.path)).toEqual(['/v1/user/info', '/v1/models'])
  })

  it('410 and /v1/models 401: invalid', async () => {
    const { result, summary } = await check({
      faults: [
        userInfoStatus(410),
        { match: { path: '/v1/models' }, fault: { kind: 'status', status: 401 } },
      ],
    })
    expect(result).toEqual({ kind: 'invalid' })
    expect(summary).toEqual({ kind: 'invalid', userInfoStatus: 410, modelsStatus: 401 })
  })

  it('410 and /v1/models 503: unknown, validity unknown', async () => {
    const { result } = await check({
      faults: [
        userInfoStatus(410),
        { match: { path: '/v1/models' }, fault: { kind: 'status', status: 503 } },
      ],
    })
    expect(result).toMatchObject({ kind: 'unknown', valid: false })
  })

  it.each([500, 503, 429, 403])('%i: unknown', async (status) => {
    const { result, summary } = await check({ faults: [userInfoStatus(status)] })
    expect(result).toEqual({ kind: 'unknown', valid: false } satisfies Omit<
      Extract<KeyCheck, { kind: 'unknown' }>,
      'summary'
    >)
    expect(summary).toEqual({
      kind: 'unknown',
      userInfoStatus: status,
      modelsStatus: null,
      problem: 'status',
      error: null,
    })
  })

  it('a connection reset: unknown, with undici code only', async () => {
    const { result, summary } = await check({
      faults: [{ match: { path: '/v1/user/info' }, fault: { kind: 'reset-before-headers' } }],
    })
    expect(result).toMatchObject({ kind: 'unknown', valid: false })
    expect(summary).toMatchObject({ kind: 'unknown', userInfoStatus: null, problem: 'failed' })
    expect((summary as { error: string }).error).toMatch(/^[A-Z_]+$/)
  })

  it('a hanging upstream: unknown after the timeout', async () => {
    const { result, summary } = await check({
      faults: [{ match: { path: '/v1/user/info' }, fault: { kind: 'hang' } }],
    })
    expect(result).toEqual({ kind: 'unknown', valid: false })
    expect(summary).toMatchObject({ problem: 'failed', error: 'UND_ERR_HEADERS_TIMEOUT' })
  })

  it('an answer far larger than any user/info: unknown', async () => {
    const { result } = await check({
      faults: [userInfo({ data: { totalBalance: '5', padding: 'x'.repeat(200_000) } })],
    })
    expect(result).toMatchObject({ kind: 'unknown' })
  })

  it('an answer that arrives in pieces is read whole (the 1xx before it skipped)', async () => {
    const body = JSON.stringify({ code: 20000, data: { totalBalance: '12.50', status: 'normal' } })
    const pieces = [body.slice(0, 9), body.slice(9, 30), body.slice(30)]
    const server = createServer((_request, response) => {
      response.writeProcessing()
      response.writeHead(200, { 'content-type': 'application/json' })
      const writeNext = () => {
        const piece = pieces.shift()
        if (piece === undefined) return response.end()
        response.write(piece)
        setTimeout(writeNext, 20)
      }
      writeNext()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = server.address() as AddressInfo
      const baseUrl = `http://127.0.0.1:${port}`
      client = createBalanceClient({ baseUrl, connectTimeoutMs: 1000, timeoutMs: 1000 })
      const { summary: _, ...result } = await client.checkKey(KEY)
      expect(result).toEqual({ kind: 'balance', totalBalance: 12.5, accountStatus: 'normal' })
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it('an aborted check: unknown, no throw', async () => {
    const upstream = await startUpstream({ [KEY]: { totalBalance: '9' } })
    upstream.setUserInfoMode('hang')
    client = createBalanceClient({ baseUrl: upstream.url, connectTimeoutMs: 1000, timeoutMs: 5000 })
    const controller = new AbortController()
    const pending = client.checkKey(KEY, controller.signal)
    await upstream.waitForRequest(0)
    controller.abort()
    expect(await pending).toEqual({
      kind: 'unknown',
      valid: false,
      summary: {
        kind: 'unknown',
        userInfoStatus: null,
        modelsStatus: null,
        problem: 'failed',
        error: 'aborted',
      },
    })
  })

  it('nothing listening: unknown', async () => {
    client = createBalanceClient({
      baseUrl: 'http://127.0.0.1:9',
      connectTimeoutMs: 1000,
      timeoutMs: 100,
    })
    expect(await client.checkKey(KEY)).toMatchObject({ kind: 'unknown', valid: false })
  })
})
