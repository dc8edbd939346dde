import { START as T0 } from '@sfp/test-support'
import { describe, expect, it } from 'vitest'
import { BLOCKED_MODELS_MAX } from '../src/outcome-rules.js'
import { lane, override } from './helpers/lanes.js'
import {
  addKeys,
  createTestPool,
  fakeKey,
  startUpstream,
  storedEvents,
} from './helpers/test-pool.js'

const K1 = fakeKey(1)
const K2 = fakeKey(2)
/** Long enough to read as a key-like token: a model name must still be kept whole. */
const PRO = 'Pro/deepseek-ai/DeepSeek-R1-Distill-Qwen-32B'
const FREE = 'Qwen/Qwen2.5-7B-Instruct'

async function poolWith(accounts: Record<string, { totalBalance?: string }>) {
  const upstream = await startUpstream(accounts)
  const test = await createTestPool({
    settings: { upstreamBaseUrl: upstream.url, balanceCheckTimeoutMs: 500 },
  })
  const ids = await addKeys(test.pool, Object.keys(accounts))
  return { ...test, upstream, ids }
}

describe('a 403 for a model while the balance is fine (docs/behaviour.md §4 "Model access")', () => {
  it('blocks that model for the key only; the key stays active and serves the others', async () => {
    const { pool, storage, ids } = await poolWith({ [K1]: { totalBalance: '50.00' } })
    const [id = 0] = ids
    const verdict = await pool.report(id, { kind: 'forbidden', status: 403, model: PRO })
    expect(verdict).toEqual({ status: 'active', moveOn: false, blockedModel: PRO })
    expect(pool.view(id)).toMatchObject({ status: 'active', blockedModels: [PRO], balance: 50 })
    const events = await storedEvents(storage, { keyId: id, limit: 5 })
    expect(events[0]).toMatchObject({
      type: 'check',
      explanation: { code: 'model_blocked', params: { status: 403, model: PRO } },
    })
    expect(events.some((event) => event.type === 'state' && event.toStatus !== 'active')).toBe(
      false,
    )

    // A second refusal of the same model records nothing new; another model joins the list.
    await pool.report(id, { kind: 'forbidden', status: 403, model: PRO })
    await pool.report(id, { kind: 'forbidden', status: 403, model: 'Pro/other' })
    expect(pool.view(id)?.blockedModels).toEqual([PRO, 'Pro/other'])
    const blocked = (await storedEvents(storage, { keyId: id, limit: 10 })).filter(
      (event) => event.explanation?.code === 'model_blocked',
    )
    expect(blocked).toHaveLength(2)

    // Selection: the key stays the lane's for any other model, never for the blocked one.
    expect(pool.select(lane(1, id), T0, FREE)).toEqual({ kind: 'current', keyId: id })
    expect(pool.select(lane(1, id), T0)).toEqual({ kind: 'current', keyId: id })
    expect(pool.select(lane(1, id), T0, PRO)).toMatchObject({
      kind: 'none',
      blockedFor: PRO,
      retryAt: null,
    })
  })

  it('also with the balance unknown (/user/info gone), and survives a restart', async () => {
    const test = await poolWith({ [K1]: { totalBalance: '50.00' } })
    test.upstream.setUserInfoMode('gone')
    const [id = 0] = test.ids
    await test.pool.report(id, { kind: 'forbidden', status: 403, model: PRO })
    expect(test.pool.view(id)).toMatchObject({ status: 'active', blockedModels: [PRO] })
    const again = await test.restart({ upstreamBaseUrl: test.upstream.url })
    expect(again.pool.view(id)?.blockedModels).toEqual([PRO])
  })

  it('a low balance is still `insufficient`, and a 402 or a 403 without a model blocks nothing', async () => {
    const { pool, ids } = await poolWith({
      [K1]: { totalBalance: '0.10' },
      [K2]: { totalBalance: '50.00' },
    })
    const [poor = 0, rich = 0] = ids
    expect(await pool.report(poor, { kind: 'forbidden', status: 403, model: PRO })).toEqual({
      status: 'insufficient',
      moveOn: true,
    })
    expect(pool.view(poor)?.blockedModels).toEqual([])
    await pool.report(rich, { kind: 'forbidden', status: 402, model: PRO })
    await pool.report(rich, { kind: 'forbidden', status: 403, model: null })
    expect(pool.view(rich)).toMatchObject({ status: 'active', blockedModels: [] })
  })

  it('selection passes over keys refused the model; the lane moves only for that model', async () => {
    const { pool, ids } = await poolWith({
      [K1]: { totalBalance: '50.00' },
      [K2]: { totalBalance: '50.00' },
    })
    const [first = 0, second = 0] = ids
    await pool.report(first, { kind: 'forbidden', status: 403, model: PRO })
    // The lane's key serves, but not PRO: a switch for the model's sake (the guard decides).
    expect(pool.select(lane(1, first), T0, PRO)).toEqual({
      kind: 'switch',
      keyId: second,
      current: { keyId: first, status: 'active', cooldownUntil: null },
      forModel: PRO,
    })
    // A lane with no key yet takes the first key that may use the model: an ordinary switch.
    expect(pool.select(lane(2, null), T0, PRO)).toEqual({
      kind: 'switch',
      keyId: second,
      current: null,
    })
    expect(pool.select(lane(2, null), T0, FREE)).toMatchObject({ kind: 'switch', keyId: first })
  })

  it('remembers at most BLOCKED_MODELS_MAX models per key, forgetting the oldest', async () => {
    const { pool, ids } = await poolWith({ [K1]: { totalBalance: '50.00' } })
    const [id = 0] = ids
    for (let n = 0; n <= BLOCKED_MODELS_MAX; n++) {
      await pool.report(id, { kind: 'forbidden', status: 403, model: `Pro/model-${n}` })
    }
    const blocked = pool.view(id)?.blockedModels ?? []
    expect(blocked).toHaveLength(BLOCKED_MODELS_MAX)
    expect(blocked[0]).toBe('Pro/model-1')
    expect(blocked.at(-1)).toBe(`Pro/model-${BLOCKED_MODELS_MAX}`)
  })

  it("the admin's activation clears the key's blocked models", async () => {
    const { pool, ids } = await poolWith({ [K1]: { totalBalance: '50.00' } })
    const [id = 0] = ids
    await pool.report(id, { kind: 'forbidden', status: 403, model: PRO })
    expect(pool.activate(id, override()).blockedModels).toEqual([])
  })
})

describe('a manual disable carries a reason', () => {
  it('keeps the reason in the disabled_by_admin event; without one the params stay empty', async () => {
    const { pool, storage, ids } = await poolWith({
      [K1]: { totalBalance: '50.00' },
      [K2]: { totalBalance: '50.00' },
    })
    const [first = 0, second = 0] = ids
    pool.update(first, { enabled: false, reason: 'shared with another team' })
    pool.update(second, { enabled: false })
    const [withReason] = await storedEvents(storage, { keyId: first, limit: 1 })
    expect(withReason).toMatchObject({
      type: 'state',
      toStatus: 'disabled',
      reason: 'disabled by admin: shared with another team',
      explanation: { code: 'disabled_by_admin', params: { reason: 'shared with another team' } },
    })
    const [without] = await storedEvents(storage, { keyId: second, limit: 1 })
    expect(without?.explanation).toEqual({ code: 'disabled_by_admin', params: {} })
  })
})
