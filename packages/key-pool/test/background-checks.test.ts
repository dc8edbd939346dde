import { Agent, type Dispatcher } from 'undici'
import { describe, expect, it } from 'vitest'
import { CheckNotNeeded } from '../src/errors.js'
import type { UpstreamGate } from '../src/types.js'
import { keysInUse, lane, override } from './helpers/lanes.js'
import { addKeys, createTestPool, fakeKey, startUpstream, storedKeys } from './helpers/test-pool.js'

const KEYS = [fakeKey(1), fakeKey(2), fakeKey(3)]
const HOUR = 60 * 60_000
/** A second loopback address: what upstream sees of a lane going out from it. */
const LANE_ADDRESS = '127.0.0.2'

/** A gate that records every call and holds each until the test opens it. */
function heldGate(dispatcher?: Dispatcher) {
  const calls: number[] = []
  let open: () => void = () => {}
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  /** Like the dispatch's gate: `stillWanted` is asked once the slot is held. */
  const gate: UpstreamGate = async (keyId, task, signal, stillWanted) => {
    calls.push(keyId)
    await opened
    if (stillWanted && !stillWanted()) throw new CheckNotNeeded()
    return task({ signal: signal ?? new AbortController().signal, dispatcher })
  }
  return { gate, calls, open }
}

async function poolWithUpstream(settings: {
  autoQueryBalanceAfterCalls?: number
  balanceRefreshMinutes?: number
}) {
  const upstream = await startUpstream({
    [fakeKey(1)]: { totalBalance: '40.00' },
    [fakeKey(2)]: { totalBalance: '0.20' },
    [fakeKey(3)]: { totalBalance: '12.00' },
  })
  const test = await createTestPool({ settings: { upstreamBaseUrl: upstream.url, ...settings } })
  const ids = await addKeys(test.pool, KEYS)
  return { ...test, upstream, ids }
}

describe('balance check after every N successful calls', () => {
  it('runs in the background through the gate, not awaited by report', async () => {
    const { pool, upstream, ids, storage } = await poolWithUpstream({
      autoQueryBalanceAfterCalls: 3,
    })
    const [id = 0] = ids
    const { gate, calls, open } = heldGate()
    pool.useUpstreamGate(gate)
    pool.useKeysInUse(keysInUse(id))
    for (let i = 0; i < 2; i++) await pool.report(id, { kind: 'success' })
    expect(calls).toEqual([])
    // The third success schedules the check; report resolves while the gate still holds it.
    expect(await pool.report(id, { kind: 'success' })).toEqual({ status: 'active', moveOn: false })
    expect(calls).toEqual([id])
    expect(upstream.requests).toHaveLength(0)
    expect((await storedKeys(storage))[0]?.successesSinceCheck).toBe(0)
    open()
    await pool.settled()
    expect(upstream.requests.map((r) => [r.path, r.key])).toEqual([['/v1/user/info', KEYS[0]]])
    expect(pool.view(id)).toMatchObject({ balance: 40, status: 'active' })
  })

  it('a low balance found in the background makes the key insufficient', async () => {
    const { pool, ids } = await poolWithUpstream({ autoQueryBalanceAfterCalls: 1 })
    const id = ids[1] ?? 0
    pool.useKeysInUse(keysInUse(id))
    await pool.report(id, { kind: 'success' })
    await pool.settled()
    expect(pool.view(id)).toMatchObject({ status: 'insufficient', balance: 0.2 })
    expect(pool.select(lane(1, id))).toMatchObject({ kind: 'switch', keyId: ids[0] })
  })

  it('never probes a key that is no longer in use: another activated, or it disabled', async () => {
    const { pool, upstream, ids } = await poolWithUpstream({ autoQueryBalanceAfterCalls: 1 })
    const [a = 0, b = 0, c = 0] = ids
    // Late successes of requests sent before the admin stepped in (DISPATCH_CONCURRENCY > 1).
    const inUse = keysInUse(a)
    pool.useKeysInUse(inUse)
    // The admin makes b the lane's key: the pool activates it, the dispatch moves the lane.
    pool.activate(b, override())
    inUse.set(b)
    await pool.report(a, { kind: 'success' })
    pool.update(b, { enabled: false })
    await pool.report(b, { kind: 'success' })
    await pool.report(c, { kind: 'success' })
    await pool.settled()
    expect(upstream.requests).toHaveLength(0)
    expect(pool.view(a)?.balance).toBeNull()
  })

  it('does not send the key if it stopped being in use while waiting for the gate', async () => {
    const { pool, upstream, ids } = await poolWithUpstream({ autoQueryBalanceAfterCalls: 1 })
    const [a = 0, b = 0] = ids
    const { gate, calls, open } = heldGate()
    pool.useUpstreamGate(gate)
    const inUse = keysInUse(a)
    pool.useKeysInUse(inUse)
    await pool.report(a, { kind: 'success' })
    expect(calls).toEqual([a])
    pool.activate(b, override())
    inUse.set(b)
    open()
    await pool.settled()
    expect(upstream.requests).toHaveLength(0)
    expect(pool.view(a)?.balance).toBeNull()
  })

  it('0 means never', async () => {
    const { pool, upstream, ids } = await poolWithUpstream({ autoQueryBalanceAfterCalls: 0 })
    pool.useKeysInUse(keysInUse(ids[0] ?? 0))
    for (let i = 0; i < 20; i++) await pool.report(ids[0] ?? 0, { kind: 'success' })
    await pool.settled()
    expect(upstream.requests).toHaveLength(0)
  })

  it('runs one check of a key at a time', async () => {
    const { pool, ids } = await poolWithUpstream({ autoQueryBalanceAfterCalls: 1 })
    const { gate, calls, open } = heldGate()
    pool.useUpstreamGate(gate)
    pool.useKeysInUse(keysInUse(ids[0] ?? 0))
    for (let i = 0; i < 3; i++) await pool.report(ids[0] ?? 0, { kind: 'success' })
    expect(calls).toEqual([ids[0]])
    open()
    await pool.settled()
  })

  it('probes nothing before the dispatch tells which keys are in use', async () => {
    const { pool, upstream, ids } = await poolWithUpstream({ autoQueryBalanceAfterCalls: 1 })
    for (const id of ids) await pool.report(id, { kind: 'success' })
    await pool.settled()
    expect(upstream.requests).toHaveLength(0)
  })

  it('probes a key in use on any lane, not only the primary one, and no other', async () => {
    const { pool, upstream, ids } = await poolWithUpstream({ autoQueryBalanceAfterCalls: 1 })
    const [a = 0, b = 0, c = 0] = ids
    pool.useKeysInUse(keysInUse(a, c))
    await pool.report(c, { kind: 'success' })
    await pool.report(b, { kind: 'success' })
    await pool.settled()
    expect(upstream.requests.map((r) => r.key)).toEqual([KEYS[2]])
    expect(pool.view(c)).toMatchObject({ balance: 12 })
    expect(pool.view(b)?.balance).toBeNull()
  })

  it("goes out through the dispatcher the gate gives: the key's own lane", async () => {
    const { pool, upstream, ids } = await poolWithUpstream({ autoQueryBalanceAfterCalls: 1 })
    const laneAgent = new Agent({ localAddress: LANE_ADDRESS })
    try {
      const { gate, open } = heldGate(laneAgent)
      open()
      pool.useUpstreamGate(gate)
      pool.useKeysInUse(keysInUse(ids[0] ?? 0))
      await pool.report(ids[0] ?? 0, { kind: 'success' })
      await pool.settled()
      expect(upstream.requests.map((r) => [r.key, r.sourceAddress])).toEqual([
        [KEYS[0], LANE_ADDRESS],
      ])
      expect(pool.view(ids[0] ?? 0)).toMatchObject({ balance: 40 })
    } finally {
      await laneAgent.close()
    }
  })
})

describe('balance refresh timer', () => {
  it('probes the key in use every BALANCE_REFRESH_MINUTES, and no other key', async () => {
    const { pool, upstream, ids, clock } = await poolWithUpstream({ balanceRefreshMinutes: 60 })
    const current = ids[2] ?? 0
    pool.useKeysInUse(keysInUse(current))
    clock.advance(HOUR - 1)
    await pool.settled()
    expect(upstream.requests).toHaveLength(0)
    clock.advance(1)
    await pool.settled()
    clock.advance(HOUR)
    await pool.settled()
    expect(upstream.requests.map((r) => r.key)).toEqual([KEYS[2], KEYS[2]])
    expect(pool.view(current)).toMatchObject({ balance: 12 })
    for (const other of [ids[0], ids[1]]) expect(pool.view(other ?? 0)?.balance).toBeNull()
  })

  it("probes every lane's key at each refresh, as the lanes use them then", async () => {
    const { pool, upstream, ids, clock } = await poolWithUpstream({ balanceRefreshMinutes: 60 })
    const [a = 0, b = 0, c = 0] = ids
    const inUse = keysInUse(c, a)
    pool.useKeysInUse(inUse)
    clock.advance(HOUR)
    await pool.settled()
    expect(upstream.requests.map((r) => r.key).sort()).toEqual([KEYS[0], KEYS[2]])
    expect(pool.view(a)).toMatchObject({ balance: 40 })
    expect(pool.view(b)?.balance).toBeNull()
    expect(pool.view(c)).toMatchObject({ balance: 12 })
    // The lanes moved on: the next refresh asks the dispatch again, not what it said before.
    inUse.set(b)
    clock.advance(HOUR)
    await pool.settled()
    expect(upstream.requests.slice(2).map((r) => r.key)).toEqual([KEYS[1]])
    expect(pool.view(b)).toMatchObject({ status: 'insufficient', balance: 0.2 })
  })

  it('probes nothing without a key in use, or while it is disabled', async () => {
    const { pool, upstream, ids, clock } = await poolWithUpstream({ balanceRefreshMinutes: 1 })
    clock.advance(60_000)
    await pool.settled()
    pool.useKeysInUse(keysInUse(ids[0] ?? 0, ids[1] ?? 0))
    pool.update(ids[0] ?? 0, { enabled: false })
    pool.update(ids[1] ?? 0, { enabled: false })
    clock.advance(60_000)
    await pool.settled()
    expect(upstream.requests).toHaveLength(0)
  })

  it('probes a key in use on two lanes once per refresh', async () => {
    const { pool, upstream, ids, clock } = await poolWithUpstream({ balanceRefreshMinutes: 1 })
    const { gate, calls, open } = heldGate()
    pool.useUpstreamGate(gate)
    pool.useKeysInUse(keysInUse(ids[0] ?? 0, ids[0] ?? 0))
    clock.advance(60_000)
    expect(calls).toEqual([ids[0]])
    open()
    await pool.settled()
    expect(upstream.requests).toHaveLength(1)
  })

  it('has no timer when BALANCE_REFRESH_MINUTES is 0, and none after stop', async () => {
    const off = await poolWithUpstream({ balanceRefreshMinutes: 0 })
    expect(off.clock.pendingTimers()).toBe(0)
    await off.pool.stop()
    const on = await poolWithUpstream({ balanceRefreshMinutes: 5 })
    expect(on.clock.nextDue()).toBe(on.clock.now() + 5 * 60_000)
    await on.pool.stop()
    expect(on.clock.pendingTimers()).toBe(0)
  })
})

describe('stop', () => {
  it('aborts a background check waiting for the gate and waits for it to settle', async () => {
    const { pool, upstream, ids } = await poolWithUpstream({ autoQueryBalanceAfterCalls: 1 })
    let sawAbort = false
    pool.useUpstreamGate(
      (_keyId, _task, signal) =>
        new Promise((_resolve, reject) => {
          signal?.addEventListener('abort', () => {
            sawAbort = true
            reject(new Error('left the queue'))
          })
        }),
    )
    pool.useKeysInUse(keysInUse(ids[0] ?? 0))
    await pool.report(ids[0] ?? 0, { kind: 'success' })
    await pool.stop()
    expect(sawAbort).toBe(true)
    expect(upstream.requests).toHaveLength(0)
    // Stopped: successes no longer schedule anything.
    await pool.report(ids[0] ?? 0, { kind: 'success' })
    await pool.settled()
    expect(upstream.requests).toHaveLength(0)
  })
})
