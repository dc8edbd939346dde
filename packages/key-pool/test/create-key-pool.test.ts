import { emptyStatusCounts } from '@sfp/schemas'
import { START as T0 } from '@sfp/test-support'
import { Agent, type Dispatcher } from 'undici'
import { describe, expect, it, vi } from 'vitest'
import { COUNTER_FLUSH_MS } from '../src/key-store.js'
import type { UpstreamGate } from '../src/types.js'
import { keysInUse, lane, override } from './helpers/lanes.js'
import {
  addKeys,
  createTestPool,
  fakeKey,
  startUpstream,
  storedEvents,
  storedKeys,
  type TestPool,
  writesLanded,
} from './helpers/test-pool.js'

const [K1, K2, K3] = [fakeKey(1), fakeKey(2), fakeKey(3)]
/** A second loopback address: what upstream sees of a lane going out from it. */
const LANE_ADDRESS = '127.0.0.2'
const mask = (key: string) => `${key.slice(0, 6)}…${key.slice(-4)}`
const eventsOf = async (test: TestPool, type: string) =>
  (await storedEvents(test.storage, { limit: 100_000 }))
    .filter((event) => event.type === type)
    .reverse()

describe('add', () => {
  it('adds keys masked, in order, with the label, one added event each', async () => {
    const test = await createTestPool()
    const result = await test.pool.add({ api_keys: `${K1}\n${K2}`, label: 'team A' })
    expect(result.duplicates).toBe(0)
    expect(result.invalid).toEqual([])
    expect(result.added).toEqual([
      {
        id: 1,
        label: 'team A',
        maskedKey: mask(K1),
        status: 'active',
        isCurrent: false,
        balance: null,
        balanceCheckedAt: null,
        spent: null,
        estimatedBalance: null,
        callCount: 0,
        errorCount: 0,
        consecutiveErrors: 0,
        lastError: null,
        lastErrorDetail: null,
        lastUsedAt: null,
        cooldownUntil: null,
        rateLimitClass: null,
        blockedModels: [],
        createdAt: new Date(T0).toISOString(),
        egressId: null,
      },
      expect.objectContaining({ id: 2, maskedKey: mask(K2) }),
    ])
    expect((await eventsOf(test, 'added')).map((e) => [e.keyId, e.reason])).toEqual([
      [1, 'added by admin'],
      [2, 'added by admin'],
    ])
    expect((await eventsOf(test, 'added')).map((e) => e.explanation)).toEqual([
      { code: 'added_by_admin', params: {} },
      { code: 'added_by_admin', params: {} },
    ])
  })

  it('counts duplicates within the list and against the pool; reports invalid entries', async () => {
    const { pool } = await createTestPool()
    await pool.add({ api_key: K1 })
    const result = await pool.add({ api_keys: `${K1} ${K2} ${K2} short sk-密钥-invalid-1234` })
    expect(result.added.map((key) => key.maskedKey)).toEqual([mask(K2)])
    expect(result.duplicates).toBe(2)
    expect(result.invalid).toEqual([
      { input: '…', code: 'too_short', reason: 'too short (at least 8 characters)' },
      {
        input: 'sk-??-…1234',
        code: 'invalid_characters',
        reason: 'invalid characters (printable ASCII only, no spaces)',
      },
    ])
    expect(pool.status().total).toBe(2)
  })

  it('takes 10,000 keys in one call, and finds all 10,000 again as duplicates', async () => {
    const { pool, storage } = await createTestPool()
    const keys = Array.from({ length: 10_000 }, (_, i) => fakeKey(i))
    const first = await pool.add({ api_keys: keys.join('\n') })
    expect(first.added).toHaveLength(10_000)
    expect(first.added.at(-1)).toMatchObject({ id: 10_000, maskedKey: mask(keys[9_999] ?? '') })
    expect(await storedKeys(storage)).toHaveLength(10_000)
    const again = await pool.add({ api_keys: keys.join(',') })
    expect(again).toEqual({ added: [], duplicates: 10_000, invalid: [] })
  })
})

describe('remove', () => {
  it('removes known ids, reports unknown ones, records events, and frees the key for re-adding', async () => {
    const test = await createTestPool()
    const [a = 0, b = 0] = await addKeys(test.pool, [K1, K2])
    expect(await test.pool.remove([a, 99, a])).toEqual({ removed: [a], notFound: [99] })
    expect(test.pool.list({ offset: 0 }).keys.map((k) => k.id)).toEqual([b])
    expect((await eventsOf(test, 'removed')).map((e) => e.keyId)).toEqual([a])
    expect((await test.pool.add({ api_key: K1 })).added).toHaveLength(1)
  })
})

describe('update', () => {
  it('disables and enables with state events, and sets or clears the label', async () => {
    const test = await createTestPool()
    const [id = 0] = await addKeys(test.pool, [K1])
    expect(test.pool.update(id, { enabled: false, label: 'spare' })).toMatchObject({
      status: 'disabled',
      label: 'spare',
    })
    expect(test.pool.update(id, { enabled: true })).toMatchObject({ status: 'active' })
    expect(test.pool.update(id, { label: null })).toMatchObject({ label: null })
    expect(
      (await eventsOf(test, 'state')).map((e) => [e.fromStatus, e.toStatus, e.reason]),
    ).toEqual([
      ['active', 'disabled', 'disabled by admin'],
      ['disabled', 'active', 'enabled by admin'],
    ])
  })

  it('enabling a key that is not disabled changes nothing (an invalid key stays invalid)', async () => {
    const upstream = await startUpstream({ [K2]: {} })
    const { pool } = await createTestPool({ settings: { upstreamBaseUrl: upstream.url } })
    const [id = 0] = await addKeys(pool, [K1])
    await pool.report(id, { kind: 'unauthorized' })
    expect(pool.update(id, { enabled: true })).toMatchObject({ status: 'invalid' })
  })

  it('throws SFP_NOT_FOUND (404) for an unknown id', async () => {
    const { pool } = await createTestPool()
    expect(() => pool.update(5, { enabled: false })).toThrow(
      expect.objectContaining({ code: 'SFP_NOT_FOUND', statusCode: 404 }),
    )
  })
})

describe('activate', () => {
  it('makes any key active again, re-enabling it, recorded as an override with the reason', async () => {
    const test = await createTestPool()
    const [a = 0, b = 0] = await addKeys(test.pool, [K1, K2])
    test.pool.update(b, { enabled: false })
    const changed = vi.fn()
    test.pool.onChange(changed)
    expect(test.pool.activate(b, override(1))).toMatchObject({
      id: b,
      status: 'active',
    })
    expect(changed).toHaveBeenCalled()
    expect((await eventsOf(test, 'override')).map((e) => [e.keyId, e.reason])).toEqual([
      [b, 'made the key in use on egress #1 by admin'],
    ])
    expect(
      (await eventsOf(test, 'state')).map((e) => [e.keyId, e.fromStatus, e.toStatus, e.reason]),
    ).toEqual([
      [b, 'active', 'disabled', 'disabled by admin'],
      [b, 'disabled', 'active', 'activated by admin'],
    ])
    expect((await storedKeys(test.storage))[b - 1]?.status).toBe('active')
    // A lane that takes it (the dispatch's doing) keeps it; the other key is untouched.
    expect(test.pool.select(lane(1, b))).toEqual({ kind: 'current', keyId: b })
    expect(test.pool.view(a)).toMatchObject({ status: 'active', isCurrent: false })
  })

  it('resets the failure counts, of an active key too, without a state event for it', async () => {
    const test = await createTestPool()
    const [a = 0, b = 0] = await addKeys(test.pool, [K1, K2])
    await test.pool.report(a, { kind: 'networkError', code: 'ECONNRESET' })
    await test.pool.report(a, { kind: 'networkError', code: 'ECONNRESET' })
    await test.pool.report(b, { kind: 'rateLimited', retryAfterMs: null })
    await test.pool.report(b, { kind: 'rateLimited', retryAfterMs: null })
    expect(test.pool.row(a)).toMatchObject({ status: 'active', consecutiveErrors: 2 })
    expect(test.pool.row(b)).toMatchObject({ status: 'cooling', rateLimitStrikes: 2 })

    test.pool.activate(a, override(1))
    test.pool.activate(b, override(2))
    const fresh = {
      status: 'active',
      consecutiveErrors: 0,
      rateLimitStrikes: 0,
      cooldownUntil: null,
    }
    expect(test.pool.row(a)).toMatchObject(fresh)
    expect(test.pool.row(b)).toMatchObject(fresh)
    expect(await storedKeys(test.storage)).toMatchObject([fresh, fresh])
    expect(
      (await eventsOf(test, 'state')).filter((e) => e.reason === 'activated by admin'),
    ).toEqual([expect.objectContaining({ keyId: b, fromStatus: 'cooling', toStatus: 'active' })])
    expect((await eventsOf(test, 'override')).map((e) => [e.keyId, e.reason])).toEqual([
      [a, 'made the key in use on egress #1 by admin'],
      [b, 'made the key in use on egress #2 by admin'],
    ])
    // The next 429 starts the escalation again from 30 s.
    await test.pool.report(b, { kind: 'rateLimited', retryAfterMs: null })
    expect(test.pool.row(b)).toMatchObject({ rateLimitStrikes: 1, cooldownUntil: T0 + 30_000 })
  })

  it('makes no key the key in use: isCurrent follows what the dispatch tells', async () => {
    const test = await createTestPool()
    const [a = 0, b = 0] = await addKeys(test.pool, [K1, K2])
    expect(test.pool.activate(b, override())).toMatchObject({ id: b, isCurrent: false })
    expect(test.pool.status().currentKeyId).toBeNull()
    const inUse = keysInUse(a)
    test.pool.useKeysInUse(inUse)
    expect(test.pool.activate(b, override())).toMatchObject({ id: b, isCurrent: false })
    inUse.set(b)
    expect(test.pool.activate(b, override())).toMatchObject({ id: b, isCurrent: true })
    expect(test.pool.status().currentKeyId).toBe(b)
  })

  it('throws SFP_NOT_FOUND for an unknown id, recording nothing', async () => {
    const test = await createTestPool()
    expect(() => test.pool.activate(3, override())).toThrow(
      expect.objectContaining({ code: 'SFP_NOT_FOUND', statusCode: 404 }),
    )
    expect(await eventsOf(test, 'override')).toEqual([])
  })
})

describe('keys in use (useKeysInUse)', () => {
  it('nothing is in use until the dispatch tells', async () => {
    const { pool } = await createTestPool()
    await addKeys(pool, [K1, K2])
    expect(pool.list({ offset: 0 }).keys.map((key) => key.isCurrent)).toEqual([false, false])
    expect(pool.status().currentKeyId).toBeNull()
  })

  it('drives isCurrent of every view and status().currentKeyId, read live', async () => {
    const { pool } = await createTestPool()
    const [a = 0, b = 0, c = 0] = await addKeys(pool, [K1, K2, K3])
    const inUse = keysInUse(c, a)
    pool.useKeysInUse(inUse)
    expect(pool.list({ offset: 0 }).keys.map((key) => [key.id, key.isCurrent])).toEqual([
      [a, true],
      [b, false],
      [c, true],
    ])
    expect(pool.view(c)?.isCurrent).toBe(true)
    expect(pool.view(b)?.isCurrent).toBe(false)
    expect(pool.update(a, { label: 'lane 2' })).toMatchObject({ isCurrent: true })
    expect(pool.status().currentKeyId).toBe(c)
    // The lanes move on: the pool reads the dispatch's answer each time, nothing is cached.
    inUse.set(b)
    expect(pool.list({ offset: 0 }).keys.map((key) => key.isCurrent)).toEqual([false, true, false])
    expect(pool.status().currentKeyId).toBe(b)
    inUse.set()
    expect(pool.status().currentKeyId).toBeNull()
    // New keys are never in use yet.
    expect((await pool.add({ api_key: fakeKey(9) })).added).toMatchObject([{ isCurrent: false }])
  })

  it('a later useKeysInUse replaces the earlier one', async () => {
    const { pool } = await createTestPool()
    const [a = 0, b = 0] = await addKeys(pool, [K1, K2])
    pool.useKeysInUse(keysInUse(a))
    pool.useKeysInUse(keysInUse(b))
    expect(pool.view(a)?.isCurrent).toBe(false)
    expect(pool.view(b)?.isCurrent).toBe(true)
    expect(pool.status().currentKeyId).toBe(b)
  })

  it('deleting a key in use leaves nothing in use in the pool: the dispatch picks anew', async () => {
    const { pool } = await createTestPool()
    const [a = 0, b = 0] = await addKeys(pool, [K1, K2])
    pool.bind(a, 1, T0)
    await pool.remove([a])
    expect(pool.view(a)).toBeUndefined()
    expect(pool.row(a)).toBeUndefined()
    expect(pool.select(lane(1, a))).toEqual({ kind: 'switch', keyId: b, current: null })
  })
})

describe('check (on demand)', () => {
  async function checkedPool(
    accounts: Record<string, Record<string, string>>,
    dispatcher?: Dispatcher,
  ) {
    const upstream = await startUpstream(accounts)
    const test = await createTestPool({ settings: { upstreamBaseUrl: upstream.url } })
    const gated: number[] = []
    const gate: UpstreamGate = (keyId, task, signal) => {
      gated.push(keyId)
      return task({ signal: signal ?? new AbortController().signal, dispatcher })
    }
    test.pool.useUpstreamGate(gate)
    return { ...test, upstream, gated }
  }

  it('goes through the gate, records the balance and a check event', async () => {
    const test = await checkedPool({ [K1]: { totalBalance: '14.00' } })
    const [id = 0] = await addKeys(test.pool, [K1])
    expect(await test.pool.check(id)).toMatchObject({ balance: 14, status: 'active' })
    expect(test.gated).toEqual([id])
    expect((await eventsOf(test, 'check')).map((e) => e.reason)).toEqual([
      'on-demand check: balance 14',
    ])
  })

  it('writes a balance that changes no state behind, with the counters, and tells it as a change', async () => {
    const test = await checkedPool({ [K1]: { totalBalance: '14.00' } })
    const [id = 0] = await addKeys(test.pool, [K1])
    await writesLanded()
    test.pool.takeLocalChanges()
    expect(await test.pool.check(id)).toMatchObject({ balance: 14, status: 'active' })
    await writesLanded()
    expect((await storedKeys(test.storage))[0]?.balance).toBeNull()
    expect(test.pool.takeLocalChanges()).toEqual([id])
    test.clock.advance(COUNTER_FLUSH_MS)
    await writesLanded()
    expect((await storedKeys(test.storage))[0]?.balance).toBe(14)
  })

  it("goes out through the dispatcher the gate gives (the key's lane), else the pool's own", async () => {
    const lane2 = new Agent({ localAddress: LANE_ADDRESS })
    try {
      const test = await checkedPool({ [K1]: { totalBalance: '14.00' } }, lane2)
      const [id = 0] = await addKeys(test.pool, [K1])
      expect(await test.pool.check(id)).toMatchObject({ balance: 14 })
      expect(test.upstream.requests.map((r) => [r.path, r.sourceAddress])).toEqual([
        ['/v1/user/info', LANE_ADDRESS],
      ])
      const direct = await checkedPool({ [K1]: { totalBalance: '14.00' } })
      const [directId = 0] = await addKeys(direct.pool, [K1])
      await direct.pool.check(directId)
      expect(direct.upstream.requests.map((r) => r.sourceAddress)).toEqual(['127.0.0.1'])
    } finally {
      await lane2.close()
    }
  })

  it('brings an insufficient key back when the balance is fine again', async () => {
    const test = await checkedPool({ [K1]: { totalBalance: '0.10' } })
    const [id = 0] = await addKeys(test.pool, [K1])
    expect(await test.pool.check(id)).toMatchObject({ status: 'insufficient', balance: 0.1 })
    test.upstream.setAccount(K1, { totalBalance: '30' })
    expect(await test.pool.check(id)).toMatchObject({ status: 'active', balance: 30 })
  })

  it('brings an invalid key back when upstream accepts it, even without a balance', async () => {
    const test = await checkedPool({ [K2]: {} })
    const [id = 0] = await addKeys(test.pool, [K1])
    expect(await test.pool.check(id)).toMatchObject({ status: 'invalid' })
    test.upstream.setAccount(K1, {})
    test.upstream.setUserInfoMode('gone')
    expect(await test.pool.check(id)).toMatchObject({ status: 'active', balance: null })
  })

  it.each([
    ['an HTML maintenance page', '<html><body>Under maintenance</body></html>'],
    ['malformed JSON', '{"code":20000,"data":{"totalBalance":'],
  ])('leaves an invalid key invalid when user/info answers 200 with %s', async (_, body) => {
    const test = await checkedPool({ [K2]: {} })
    const [id = 0] = await addKeys(test.pool, [K1])
    expect(await test.pool.check(id)).toMatchObject({ status: 'invalid' })
    test.upstream.script({
      match: { path: '/v1/user/info' },
      fault: { kind: 'status', status: 200, body },
    })
    expect(await test.pool.check(id)).toMatchObject({ status: 'invalid', balance: null })
    expect((await eventsOf(test, 'check')).map((e) => e.reason)).toEqual([
      'on-demand check: invalid: /v1/user/info answered 401',
      'on-demand check: balance unknown (/v1/user/info answered 200 without JSON)',
    ])
  })

  it('leaves a disabled key disabled, whatever upstream says', async () => {
    const test = await checkedPool({ [K2]: {} })
    const [id = 0] = await addKeys(test.pool, [K1])
    test.pool.update(id, { enabled: false })
    expect(await test.pool.check(id)).toMatchObject({ status: 'disabled' })
  })

  it('writes a restricted account status down without changing the state', async () => {
    const test = await checkedPool({ [K1]: { totalBalance: '9', status: 'frozen' } })
    const [id = 0] = await addKeys(test.pool, [K1])
    expect(await test.pool.check(id)).toMatchObject({
      status: 'active',
      balance: 9,
      lastError: 'account status "frozen" reported by /v1/user/info',
      lastErrorDetail: {
        code: 'account_status',
        params: { trigger: 'on_demand', status: 'frozen' },
      },
    })
    expect((await eventsOf(test, 'check')).map((e) => e.reason)).toEqual([
      'account status "frozen" reported by /v1/user/info',
      'on-demand check: balance 9, account status "frozen"',
    ])
    expect((await eventsOf(test, 'check')).map((e) => e.explanation)).toEqual([
      { code: 'account_status', params: { trigger: 'on_demand', status: 'frozen' } },
      {
        code: 'key_check',
        params: {
          trigger: 'on_demand',
          check: { kind: 'balance', balance: 9, accountStatus: 'frozen' },
        },
      },
    ])
    // The same status again is not written down twice.
    await test.pool.check(id)
    expect(
      (await eventsOf(test, 'check')).filter((e) => e.explanation?.code === 'account_status'),
    ).toHaveLength(1)
  })

  it('keeps the last known balance when the balance is unknown now', async () => {
    const test = await checkedPool({ [K1]: { totalBalance: '9' } })
    const [id = 0] = await addKeys(test.pool, [K1])
    await test.pool.check(id)
    test.upstream.setUserInfoMode('malformed')
    expect(await test.pool.check(id)).toMatchObject({ balance: 9, status: 'active' })
  })

  it('throws SFP_NOT_FOUND for an unknown id without asking upstream', async () => {
    const test = await checkedPool({ [K1]: {} })
    await expect(test.pool.check(42)).rejects.toMatchObject({ code: 'SFP_NOT_FOUND' })
    expect(test.upstream.requests).toHaveLength(0)
  })
})

describe('reading the pool', () => {
  it('exports every key in creation order, one per line', async () => {
    const { pool } = await createTestPool()
    expect(pool.exportText()).toBe('')
    await addKeys(pool, [K2, K1, K3])
    expect(pool.exportText()).toBe(`${K2}\n${K1}\n${K3}\n`)
    expect(pool.secret(2)).toBe(K1)
    expect(() => pool.secret(9)).toThrow(/No upstream key with id 9/)
  })

  it('lists by status with limit and offset, and counts the status', async () => {
    const { pool } = await createTestPool()
    const [a = 0, b = 0, c = 0] = await addKeys(pool, [K1, K2, K3])
    pool.update(b, { enabled: false })
    await pool.report(c, { kind: 'rateLimited', retryAfterMs: 1000 })
    expect(pool.list({ offset: 0, status: 'active' })).toMatchObject({
      total: 1,
      keys: [{ id: a }],
    })
    expect(pool.list({ offset: 1, limit: 1 })).toMatchObject({ total: 3, keys: [{ id: b }] })
    expect(pool.list({ offset: 5 })).toEqual({ keys: [], total: 3 })
    expect(pool.status()).toEqual({
      total: 3,
      byStatus: { ...emptyStatusCounts(), active: 1, disabled: 1, cooling: 1 },
      totalBalance: null,
      currentKeyId: null,
    })
  })

  it('sums the known balances', async () => {
    const upstream = await startUpstream({
      [K1]: { totalBalance: '1.5' },
      [K2]: { totalBalance: '-0.5' },
    })
    const { pool } = await createTestPool({ settings: { upstreamBaseUrl: upstream.url } })
    const [a = 0, b = 0] = await addKeys(pool, [K1, K2, K3])
    await pool.check(a)
    await pool.check(b)
    expect(pool.status().totalBalance).toBe(1)
  })

  it('gives the rows themselves, read-only, in creation order', async () => {
    const { pool } = await createTestPool()
    const [a = 0, b = 0] = await addKeys(pool, [K2, K1])
    await pool.report(b, { kind: 'rateLimited', retryAfterMs: 1000 })
    expect([...pool.rows()].map((row) => [row.id, row.status, row.maskedKey])).toEqual([
      [a, 'active', mask(K2)],
      [b, 'cooling', mask(K1)],
    ])
    expect(pool.row(b)).toMatchObject({ id: b, cooldownUntil: T0 + 1000, egressId: null })
    expect(pool.row(42)).toBeUndefined()
  })

  it('tells change listeners, and a failing listener breaks nothing', async () => {
    const { pool } = await createTestPool()
    const [id = 0] = await addKeys(pool, [K1])
    const listener = vi.fn()
    pool.onChange(() => {
      throw new Error('listener bug')
    })
    const unsubscribe = pool.onChange(listener)
    expect(await pool.report(id, { kind: 'success' })).toMatchObject({ status: 'active' })
    expect(listener).toHaveBeenCalledTimes(1)
    unsubscribe()
    await pool.report(id, { kind: 'success' })
    expect(listener).toHaveBeenCalledTimes(1)
  })
})
