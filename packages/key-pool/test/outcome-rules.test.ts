import type { UpstreamKeyPatch } from '@sfp/db'
import type { KeyStatus, KeyView } from '@sfp/schemas'
import { START as T0 } from '@sfp/test-support'
import type { MockAccount, ScriptedFault, UserInfoMode } from '@sfp/test-support/upstream'
import { Agent } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { rateLimitCooldownMs } from '../src/outcome-rules.js'
import type { AttemptOutcome, OutcomeVerdict } from '../src/types.js'
import {
  addKeys,
  createTestPool,
  fakeKey,
  startUpstream,
  storedEvents,
} from './helpers/test-pool.js'

const KEY = fakeKey(1)
const MIN = 60_000
const iso = (ms: number) => new Date(ms).toISOString()

interface Case {
  name: string
  /** The key's stored state before the outcome (written, then the pool restarted). */
  before?: UpstreamKeyPatch
  /** The account upstream keeps for KEY; `null`: upstream does not know the key (401). */
  account?: MockAccount | null
  userInfo?: UserInfoMode
  faults?: ScriptedFault[]
  outcome: AttemptOutcome
  verdict: OutcomeVerdict
  key: Partial<KeyView>
  /** The `state` event written (its reason when given), or null for none. */
  transition: { from: KeyStatus; to: KeyStatus; reason?: string } | null
  /** Paths the pool asked upstream about, in order. */
  probes: string[]
}

async function run(c: Case) {
  const account = c.account === undefined ? { totalBalance: '50.00' } : c.account
  const upstream = await startUpstream(
    account === null ? { [fakeKey(999)]: {} } : { [KEY]: account },
  )
  if (c.userInfo) upstream.setUserInfoMode(c.userInfo)
  if (c.faults) upstream.script(...c.faults)
  let test = await createTestPool({
    settings: { upstreamBaseUrl: upstream.url, keyErrorThreshold: 3, balanceCheckTimeoutMs: 100 },
  })
  const [id = 0] = await addKeys(test.pool, [KEY])
  if (c.before) {
    await test.storage.upstreamKeys.update(id, c.before)
    test = await test.restart()
  }
  // A gate that refuses everything: report's confirmations must not go through it.
  test.pool.useUpstreamGate(() => Promise.reject(new Error('report must not use the gate')))
  const verdict = await test.pool.report(id, c.outcome)
  const transitions = (await storedEvents(test.storage, { keyId: id, limit: 10 }))
    .filter((event) => event.type === 'state')
    .map((event) => ({ from: event.fromStatus, to: event.toStatus, reason: event.reason }))
  return {
    verdict,
    key: test.pool.view(id),
    transitions,
    probes: upstream.requests.map((r) => r.path),
  }
}

const USER_INFO = '/v1/user/info'
const MODELS = '/v1/models'
const status = (code: number): ScriptedFault => ({
  match: { path: USER_INFO },
  fault: { kind: 'status', status: code, body: { message: `status ${code}`, data: null } },
})
const modelsStatus = (code: number): ScriptedFault => ({
  match: { path: MODELS },
  fault: { kind: 'status', status: code, body: { message: 'Invalid token', data: null } },
})
const untouched = (verdict: OutcomeVerdict['status'] = 'active') => ({
  verdict: { status: verdict, moveOn: false },
  transition: null,
  probes: [],
})

const cases: Case[] = [
  // success
  {
    name: 'success on an active key counts the call and resets the failure counts',
    before: { consecutiveErrors: 2, rateLimitStrikes: 2, callCount: 7 },
    outcome: { kind: 'success' },
    ...untouched(),
    key: { callCount: 8, consecutiveErrors: 0, errorCount: 0, lastUsedAt: iso(T0) },
  },
  {
    name: 'success on a cooling key past its cooldown makes it active',
    before: { status: 'cooling', cooldownUntil: T0 - 1, rateLimitStrikes: 3 },
    outcome: { kind: 'success' },
    verdict: { status: 'active', moveOn: false },
    key: { status: 'active', cooldownUntil: null },
    transition: { from: 'cooling', to: 'active' },
    probes: [],
  },
  {
    name: 'success on an error key makes it active',
    before: { status: 'error', cooldownUntil: T0 - 1, consecutiveErrors: 5 },
    outcome: { kind: 'success' },
    verdict: { status: 'active', moveOn: false },
    key: { status: 'active', consecutiveErrors: 0, cooldownUntil: null },
    transition: { from: 'error', to: 'active' },
    probes: [],
  },
  // A parallel attempt (DISPATCH_CONCURRENCY > 1) marked the key just before this success.
  ...(['insufficient', 'invalid'] as const).map(
    (from): Case => ({
      name: `success on a key a parallel attempt just marked ${from} makes it active`,
      before: { status: from, consecutiveErrors: 3 },
      outcome: { kind: 'success' },
      verdict: { status: 'active', moveOn: false },
      key: { status: 'active', consecutiveErrors: 0, callCount: 1 },
      transition: { from, to: 'active', reason: 'request succeeded, which proves the key works' },
      probes: [],
    }),
  ),
  {
    name: 'success on a key the admin disabled meanwhile leaves it disabled',
    before: { status: 'disabled' },
    outcome: { kind: 'success' },
    ...untouched('disabled'),
    key: { status: 'disabled', callCount: 1 },
  },
  // the client's doing
  ...[400, 404, 413, 422, null].map(
    (code): Case => ({
      name: `client error ${code ?? '(disconnect)'} leaves the key untouched but counts the call`,
      before: { consecutiveErrors: 2 },
      outcome: { kind: 'clientError', status: code },
      ...untouched(),
      key: { callCount: 1, errorCount: 0, consecutiveErrors: 2, lastError: null },
    }),
  ),
  // 401
  {
    name: '401 confirmed by /v1/user/info answering 401: invalid, move on',
    account: null,
    outcome: { kind: 'unauthorized' },
    verdict: { status: 'invalid', moveOn: true },
    key: { status: 'invalid', errorCount: 1, balance: null },
    transition: { from: 'active', to: 'invalid' },
    probes: [USER_INFO],
  },
  {
    name: '401 not confirmed (user/info answers 200): passed through, balance learnt',
    outcome: { kind: 'unauthorized' },
    verdict: { status: 'active', moveOn: false },
    key: { status: 'active', balance: 50, balanceCheckedAt: iso(T0) },
    transition: null,
    probes: [USER_INFO],
  },
  {
    name: '401, user/info retired (410), /v1/models answers 401: invalid',
    faults: [status(410), modelsStatus(401)],
    outcome: { kind: 'unauthorized' },
    verdict: { status: 'invalid', moveOn: true },
    key: { status: 'invalid' },
    transition: { from: 'active', to: 'invalid' },
    probes: [USER_INFO, MODELS],
  },
  {
    name: '401, user/info 404, /v1/models answers 200: not confirmed',
    userInfo: 'not-found',
    outcome: { kind: 'unauthorized' },
    verdict: { status: 'active', moveOn: false },
    key: { status: 'active', balance: null },
    transition: null,
    probes: [USER_INFO, MODELS],
  },
  {
    name: '401, user/info unreachable (reset): not confirmed',
    faults: [{ match: { path: USER_INFO }, fault: { kind: 'reset-before-headers' } }],
    outcome: { kind: 'unauthorized' },
    verdict: { status: 'active', moveOn: false },
    key: { status: 'active' },
    transition: null,
    probes: [USER_INFO],
  },
  {
    name: '401, user/info times out: not confirmed',
    userInfo: 'hang',
    outcome: { kind: 'unauthorized' },
    verdict: { status: 'active', moveOn: false },
    key: { status: 'active', balance: null },
    transition: null,
    probes: [USER_INFO],
  },
  // 402/403
  {
    name: '403 with a balance below the threshold: insufficient, move on',
    account: { totalBalance: '0.50', balance: '5.00' },
    outcome: { kind: 'forbidden', status: 403 },
    verdict: { status: 'insufficient', moveOn: true },
    key: { status: 'insufficient', balance: 0.5 },
    transition: { from: 'active', to: 'insufficient' },
    probes: [USER_INFO],
  },
  {
    name: '402 with a negative balance: insufficient',
    account: { totalBalance: '-3.20' },
    outcome: { kind: 'forbidden', status: 402 },
    verdict: { status: 'insufficient', moveOn: true },
    key: { status: 'insufficient', balance: -3.2 },
    transition: { from: 'active', to: 'insufficient' },
    probes: [USER_INFO],
  },
  {
    name: '403 with a high balance (only the gift balance empty): passed through, stays active',
    account: { totalBalance: '88.88', balance: '0.00', chargeBalance: '88.88' },
    outcome: { kind: 'forbidden', status: 403 },
    verdict: { status: 'active', moveOn: false },
    key: { status: 'active', balance: 88.88 },
    transition: null,
    probes: [USER_INFO],
  },
  {
    name: '403 on a restricted account with a good balance: passed through, status written down',
    account: { totalBalance: '30.00', status: 'frozen' },
    outcome: { kind: 'forbidden', status: 403 },
    verdict: { status: 'active', moveOn: false },
    key: {
      status: 'active',
      lastError: 'HTTP 403 passed through (balance 30, account status "frozen")',
    },
    transition: null,
    probes: [USER_INFO],
  },
  {
    name: '403 with the balance unknown (410, models 200): passed through, never zero',
    userInfo: 'gone',
    outcome: { kind: 'forbidden', status: 403 },
    verdict: { status: 'active', moveOn: false },
    key: { status: 'active', balance: null },
    transition: null,
    probes: [USER_INFO, MODELS],
  },
  {
    name: '403 with the balance unknown and an estimate below the threshold: insufficient on the estimate',
    userInfo: 'gone',
    before: { balance: 5, spent: 4.5 },
    outcome: { kind: 'forbidden', status: 403 },
    verdict: { status: 'insufficient', moveOn: true },
    key: { status: 'insufficient', balance: 5, spent: 4.5, estimatedBalance: 0.5 },
    transition: {
      from: 'active',
      to: 'insufficient',
      reason: 'no balance from upstream; the estimated balance 0.5 is below 1',
    },
    probes: [USER_INFO, MODELS],
  },
  {
    name: '403 with the balance unknown and an estimate above the threshold: passed through',
    userInfo: 'gone',
    before: { balance: 5, spent: 1 },
    outcome: { kind: 'forbidden', status: 403 },
    verdict: { status: 'active', moveOn: false },
    key: { status: 'active', estimatedBalance: 4 },
    transition: null,
    probes: [USER_INFO, MODELS],
  },
  {
    name: '403 with a malformed user/info answer: passed through',
    userInfo: 'malformed',
    outcome: { kind: 'forbidden', status: 403 },
    verdict: { status: 'active', moveOn: false },
    key: { status: 'active', balance: null },
    transition: null,
    probes: [USER_INFO],
  },
  // 429
  {
    name: '429 with Retry-After: cooling until then, move on',
    outcome: { kind: 'rateLimited', retryAfterMs: 5000 },
    verdict: { status: 'cooling', moveOn: true },
    key: { status: 'cooling', cooldownUntil: iso(T0 + 5000), errorCount: 1 },
    transition: { from: 'active', to: 'cooling' },
    probes: [],
  },
  ...[
    [0, 30_000],
    [1, 60_000],
    [2, 120_000],
    [3, 240_000],
    [4, 480_000],
    [5, 900_000],
    [9, 900_000],
  ].map(
    ([strikes = 0, waitMs = 0]): Case => ({
      name: `429 without Retry-After after ${strikes} in a row: cooling ${waitMs / 1000} s`,
      before: { rateLimitStrikes: strikes },
      outcome: { kind: 'rateLimited', retryAfterMs: null },
      verdict: { status: 'cooling', moveOn: true },
      key: { status: 'cooling', cooldownUntil: iso(T0 + waitMs) },
      transition: { from: 'active', to: 'cooling' },
      probes: [],
    }),
  ),
  // The limit the 429's message names (T0 is 20:00 in China, 12:00 UTC).
  {
    name: '429 naming RPD: cooling until midnight China time (16:00 UTC), class day',
    outcome: {
      kind: 'rateLimited',
      retryAfterMs: null,
      message: 'Request was rejected due to rate limiting. Details: RPD limit reached.',
    },
    verdict: { status: 'cooling', moveOn: true },
    key: { status: 'cooling', cooldownUntil: iso(T0 + 4 * 3_600_000), rateLimitClass: 'day' },
    transition: { from: 'active', to: 'cooling' },
    probes: [],
  },
  {
    name: '429 of an account without real-name verification: until midnight China time, class day',
    outcome: {
      kind: 'rateLimited',
      retryAfterMs: 60_000,
      message: 'Could only send 100 requests per day without real name verification',
    },
    verdict: { status: 'cooling', moveOn: true },
    key: { status: 'cooling', cooldownUntil: iso(T0 + 4 * 3_600_000), rateLimitClass: 'day' },
    transition: { from: 'active', to: 'cooling' },
    probes: [],
  },
  {
    name: '429 naming RPH: cooling until the next full hour, class hour',
    outcome: {
      kind: 'rateLimited',
      retryAfterMs: null,
      message: 'Request was rejected due to rate limiting. Details: RPH limit reached.',
    },
    verdict: { status: 'cooling', moveOn: true },
    key: { status: 'cooling', cooldownUntil: iso(T0 + 3_600_000), rateLimitClass: 'hour' },
    transition: { from: 'active', to: 'cooling' },
    probes: [],
  },
  {
    name: '429 naming TPM: the escalating cooldown as before, class minute',
    before: { rateLimitStrikes: 1 },
    outcome: {
      kind: 'rateLimited',
      retryAfterMs: null,
      message: 'Request was rejected due to rate limiting. Details: TPM limit reached.',
    },
    verdict: { status: 'cooling', moveOn: true },
    key: { status: 'cooling', cooldownUntil: iso(T0 + 60_000), rateLimitClass: 'minute' },
    transition: { from: 'active', to: 'cooling' },
    probes: [],
  },
  {
    name: 'a success after a daily limit clears the class',
    before: { rateLimitClass: 'day', rateLimitStrikes: 1 },
    outcome: { kind: 'success' },
    verdict: { status: 'active', moveOn: false },
    key: { status: 'active', rateLimitClass: null },
    transition: null,
    probes: [],
  },
  {
    name: '429 on a key the admin disabled meanwhile: stays disabled, move on',
    before: { status: 'disabled' },
    outcome: { kind: 'rateLimited', retryAfterMs: null },
    verdict: { status: 'disabled', moveOn: true },
    key: { status: 'disabled', cooldownUntil: null },
    transition: null,
    probes: [],
  },
  // A late 429 cannot undo a lasting verdict: cooling would make the key selectable again.
  ...(['insufficient', 'invalid'] as const).map(
    (from): Case => ({
      name: `429 on a key a parallel attempt just marked ${from}: stays ${from}, move on`,
      before: { status: from },
      outcome: { kind: 'rateLimited', retryAfterMs: 5000 },
      verdict: { status: from, moveOn: true },
      key: { status: from, cooldownUntil: null, errorCount: 1, callCount: 1 },
      transition: null,
      probes: [],
    }),
  ),
  // 5xx and network errors
  {
    name: '503 below the threshold: counted, retried on the same key',
    before: { consecutiveErrors: 1 },
    outcome: { kind: 'upstreamError', status: 503, message: 'System is too busy now.' },
    ...untouched(),
    key: { consecutiveErrors: 2, errorCount: 1, lastError: 'HTTP 503: System is too busy now.' },
  },
  {
    name: 'network error below the threshold: counted, retried on the same key',
    outcome: { kind: 'networkError', code: 'UND_ERR_SOCKET' },
    ...untouched(),
    key: { consecutiveErrors: 1, lastError: 'network error: UND_ERR_SOCKET' },
  },
  {
    name: '5xx at the threshold with a good balance: error until the cooldown ends',
    before: { consecutiveErrors: 2 },
    outcome: { kind: 'upstreamError', status: 500, message: null },
    verdict: { status: 'error', moveOn: true },
    key: { status: 'error', consecutiveErrors: 3, cooldownUntil: iso(T0 + 10 * MIN), balance: 50 },
    transition: { from: 'active', to: 'error' },
    probes: [USER_INFO],
  },
  {
    name: '5xx at the threshold with a low balance: insufficient',
    before: { consecutiveErrors: 2 },
    account: { totalBalance: '0.10' },
    outcome: { kind: 'upstreamError', status: 504, message: null },
    verdict: { status: 'insufficient', moveOn: true },
    key: { status: 'insufficient', cooldownUntil: null, balance: 0.1 },
    transition: { from: 'active', to: 'insufficient' },
    probes: [USER_INFO],
  },
  {
    name: 'network error at the threshold with the balance unknown: error',
    before: { consecutiveErrors: 2 },
    userInfo: 'gone',
    outcome: { kind: 'networkError', code: 'ECONNRESET' },
    verdict: { status: 'error', moveOn: true },
    key: { status: 'error', cooldownUntil: iso(T0 + 10 * MIN), balance: null },
    transition: { from: 'active', to: 'error' },
    probes: [USER_INFO, MODELS],
  },
  {
    name: 'network error at the threshold and upstream rejects the key: invalid',
    before: { consecutiveErrors: 4 },
    account: null,
    outcome: { kind: 'networkError', code: 'UND_ERR_HEADERS_TIMEOUT' },
    verdict: { status: 'invalid', moveOn: true },
    key: { status: 'invalid' },
    transition: { from: 'active', to: 'invalid' },
    probes: [USER_INFO],
  },
  // A late 5xx at the threshold cannot undo a lasting verdict: error ends with its cooldown.
  ...(['insufficient', 'invalid'] as const).map(
    (from): Case => ({
      name: `5xx at the threshold on a key a parallel attempt just marked ${from}: stays ${from}`,
      before: { status: from, consecutiveErrors: 2 },
      outcome: { kind: 'upstreamError', status: 500, message: null },
      verdict: { status: from, moveOn: true },
      key: { status: from, consecutiveErrors: 3, cooldownUntil: null, balance: 50 },
      transition: null,
      probes: [USER_INFO],
    }),
  ),
  {
    name: 'network error at the threshold on an insufficient key, balance unknown: stays',
    before: { status: 'insufficient', consecutiveErrors: 2 },
    userInfo: 'gone',
    outcome: { kind: 'networkError', code: 'ECONNRESET' },
    verdict: { status: 'insufficient', moveOn: true },
    key: { status: 'insufficient', cooldownUntil: null },
    transition: null,
    probes: [USER_INFO, MODELS],
  },
]

describe('report applies docs/behaviour.md §4 to each outcome', () => {
  it.each(cases)('$name', async (c) => {
    const { verdict, key, transitions, probes } = await run(c)
    expect(verdict).toEqual(c.verdict)
    expect(key).toMatchObject(c.key)
    expect(transitions).toMatchObject(c.transition ? [c.transition] : [])
    expect(transitions).toHaveLength(c.transition ? 1 : 0)
    expect(probes).toEqual(c.probes)
  })
})

describe("report(..., via): confirmations go out through the attempt's lane", () => {
  /** A second loopback address: what upstream sees of a lane going out from it. */
  const LANE_ADDRESS = '127.0.0.2'
  const agents: Agent[] = []
  afterEach(async () => {
    for (const agent of agents.splice(0)) await agent.close()
  })
  const laneAgent = () => {
    const agent = new Agent({ localAddress: LANE_ADDRESS })
    agents.push(agent)
    return agent
  }

  async function reportVia(
    outcome: AttemptOutcome,
    setup: { account?: MockAccount | null; userInfo?: UserInfoMode; consecutiveErrors?: number },
    via: Agent | undefined,
  ) {
    const account = setup.account === undefined ? { totalBalance: '50.00' } : setup.account
    const upstream = await startUpstream(
      account === null ? { [fakeKey(999)]: {} } : { [KEY]: account },
    )
    if (setup.userInfo) upstream.setUserInfoMode(setup.userInfo)
    const { pool } = await createTestPool({
      settings: { upstreamBaseUrl: upstream.url, keyErrorThreshold: 3 },
    })
    const [id = 0] = await addKeys(pool, [KEY])
    pool.useUpstreamGate(() => Promise.reject(new Error('report must not use the gate')))
    for (let i = 0; i < (setup.consecutiveErrors ?? 0); i++) {
      await pool.report(id, { kind: 'networkError', code: 'ECONNRESET' }, via)
    }
    const verdict = await pool.report(id, outcome, via)
    return {
      verdict,
      sent: upstream.requests.map((r) => [r.path, r.key, r.sourceAddress]),
    }
  }

  it.each<[string, AttemptOutcome, Parameters<typeof reportVia>[1], OutcomeVerdict, string[]]>([
    [
      '401 confirmed',
      { kind: 'unauthorized' },
      { account: null },
      { status: 'invalid', moveOn: true },
      [USER_INFO],
    ],
    [
      '401 checked with /v1/models too',
      { kind: 'unauthorized' },
      { userInfo: 'gone' },
      { status: 'active', moveOn: false },
      [USER_INFO, MODELS],
    ],
    [
      '403 with a low balance',
      { kind: 'forbidden', status: 403 },
      { account: { totalBalance: '0.10' } },
      { status: 'insufficient', moveOn: true },
      [USER_INFO],
    ],
    [
      '5xx at the threshold',
      { kind: 'upstreamError', status: 503, message: null },
      { consecutiveErrors: 2 },
      { status: 'error', moveOn: true },
      [USER_INFO],
    ],
  ])(
    '%s: through the given dispatcher, else the pool own',
    async (_, outcome, setup, verdict, paths) => {
      const viaLane = await reportVia(outcome, setup, laneAgent())
      expect(viaLane.verdict).toEqual(verdict)
      expect(viaLane.sent).toEqual(paths.map((path) => [path, KEY, LANE_ADDRESS]))
      const direct = await reportVia(outcome, setup, undefined)
      expect(direct.verdict).toEqual(verdict)
      expect(direct.sent).toEqual(paths.map((path) => [path, KEY, '127.0.0.1']))
    },
  )

  it('sends nothing through it when no confirmation is needed', async () => {
    const { verdict, sent } = await reportVia(
      { kind: 'upstreamError', status: 502, message: null },
      { consecutiveErrors: 1 },
      laneAgent(),
    )
    expect(verdict).toEqual({ status: 'active', moveOn: false })
    expect(sent).toEqual([])
  })
})

describe('report edge cases', () => {
  it('a key deleted while its request was in flight reports disabled and moves on', async () => {
    const { pool } = await createTestPool()
    const [id = 0] = await addKeys(pool, [KEY])
    await pool.remove([id])
    expect(await pool.report(id, { kind: 'rateLimited', retryAfterMs: null })).toEqual({
      status: 'disabled',
      moveOn: true,
    })
    expect(await pool.report(id, { kind: 'success' })).toEqual({
      status: 'disabled',
      moveOn: false,
    })
  })

  it('upstream text in lastError is one short line with key-like tokens masked', async () => {
    const { pool } = await createTestPool()
    const [id = 0] = await addKeys(pool, [KEY])
    const message = `bad key ${KEY}\nsecond line ${'x'.repeat(400)}`
    await pool.report(id, { kind: 'upstreamError', status: 502, message })
    const lastError = pool.view(id)?.lastError ?? ''
    expect(lastError).not.toContain(KEY)
    expect(lastError).toContain(`bad key ${KEY.slice(0, 6)}…${KEY.slice(-4)} second line`)
    expect(lastError.length).toBeLessThanOrEqual(200)
  })

  it('escalation doubles from 30 s and is capped at 15 minutes', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 60].map(rateLimitCooldownMs)).toEqual([
      30_000, 60_000, 120_000, 240_000, 480_000, 900_000, 900_000, 900_000,
    ])
  })
})
