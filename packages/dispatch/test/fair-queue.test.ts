import { describe, expect, it } from 'vitest'
import { QueueFull, QueueTimeout, ShuttingDown } from '../src/errors.js'
import type { Lease } from '../src/types.js'
import { createTestbed, settle, type TestbedOptions } from './helpers/testbed.js'

/** One lane, one key, no guard window, one slot: the queue alone, one grant per release. */
async function queueWith(options: TestbedOptions = {}) {
  const bed = await createTestbed({ keys: 1, guardMinutes: 0, ...options })
  const granted: string[] = []
  const leases = new Map<string, Lease>()
  const errors = new Map<string, unknown>()
  /** Lease for client key `client` (null: none); `name` goes into `granted` when it is admitted. */
  const lease = (name: string, client: number | null, signal?: AbortSignal) => {
    bed.dispatch.lease({ clientKeyId: client, signal }).then(
      (held) => {
        granted.push(name)
        leases.set(name, held)
      },
      (error: unknown) => errors.set(name, error),
    )
  }
  /** Release `name`'s lease (the next waiter is served) and let the grants arrive. */
  const release = async (name: string) => {
    leases.get(name)?.release()
    await settle()
  }
  return { ...bed, granted, errors, lease, release }
}

const totals = (bed: Awaited<ReturnType<typeof queueWith>>) => bed.dispatch.status().dispatch

describe('serves-client-keys-in-turn', () => {
  it("puts a client's one request behind at most one of another client's hundred", async () => {
    const bed = await queueWith({ queueMax: 300 })
    bed.lease('holder', null)
    for (let n = 0; n < 100; n++) bed.lease(`a${n}`, 1)
    bed.lease('b0', 2)
    bed.lease('c0', 3)
    await settle()
    await bed.release('holder')
    await bed.release('a0')
    await bed.release('b0')
    await bed.release('c0')
    expect(bed.granted).toEqual(['holder', 'a0', 'b0', 'c0', 'a1'])
    // Alone again, the client keeps its own order.
    for (let n = 1; n < 99; n++) await bed.release(`a${n}`)
    expect(bed.granted.slice(4)).toEqual(Array.from({ length: 99 }, (_, n) => `a${n + 1}`))
  })

  it('treats requests without a client key as one group of their own', async () => {
    const bed = await queueWith()
    bed.lease('holder', 1)
    bed.lease('open0', null)
    bed.lease('open1', null)
    bed.lease('a0', 1)
    bed.lease('a1', 1)
    await settle()
    for (const name of ['holder', 'open0', 'a0', 'open1']) await bed.release(name)
    expect(bed.granted).toEqual(['holder', 'open0', 'a0', 'open1', 'a1'])
  })

  it('lets a newly arrived client wait for the end of the round, behind one of each', async () => {
    const bed = await queueWith()
    bed.lease('holder', null)
    bed.lease('x0', 1)
    bed.lease('x1', 1)
    bed.lease('y0', 2)
    bed.lease('d0', 3)
    await settle()
    await bed.release('holder')
    expect(bed.granted.at(-1)).toBe('x0')
    // Client 4 arrives while 2 has the turn: 2, 3 and 1 (waiting still) come first.
    bed.lease('b0', 4)
    await settle()
    for (const name of ['x0', 'y0', 'd0', 'x1']) await bed.release(name)
    expect(bed.granted).toEqual(['holder', 'x0', 'y0', 'd0', 'x1', 'b0'])
  })

  it('serves a client that empties and comes back once per round, not once per other client', async () => {
    // Clients 1, 2, 3 wait; client 4 sends another request as soon as its last one is admitted.
    // Client 3's request must wait behind at most one of 4's.
    const bed = await queueWith()
    bed.lease('holder', null)
    bed.lease('x0', 1)
    bed.lease('y0', 2)
    bed.lease('d0', 3)
    await settle()
    bed.lease('b0', 4)
    await settle()
    await bed.release('holder')
    expect(bed.granted.at(-1)).toBe('x0')
    await bed.release('x0')
    bed.lease('b1', 4)
    await settle()
    await bed.release(bed.granted.at(-1) as string)
    await bed.release(bed.granted.at(-1) as string)
    await bed.release(bed.granted.at(-1) as string)
    const order = bed.granted.slice(2)
    const beforeD = order.slice(0, order.indexOf('d0'))
    expect(beforeD.filter((name) => name.startsWith('b')).length).toBeLessThanOrEqual(1)
    expect(order).toEqual(['y0', 'd0', 'b0', 'b1'])
  })
})

describe('holds-each-client-key-to-its-share', () => {
  it("refuses one key's requests beyond its share with 503 queue_full while others still queue", async () => {
    const bed = await queueWith({ queueMax: 10, clientQueueShare: 0.3 })
    bed.lease('holder', null)
    for (let n = 0; n < 4; n++) bed.lease(`a${n}`, 1)
    bed.lease('b0', 2)
    await settle()
    expect(bed.errors.get('a0')).toBeUndefined()
    expect(bed.errors.get('a2')).toBeUndefined()
    const refused = bed.errors.get('a3')
    expect(refused).toBeInstanceOf(QueueFull)
    expect(refused).toMatchObject({
      code: 'SFP_QUEUE_FULL',
      statusCode: 503,
      retryAfterSeconds: 5,
      explanation: {
        code: 'queue_full',
        params: { waiting: 3, retryAfterSeconds: 5, clientShare: 3 },
      },
    })
    expect((refused as Error).message).toMatchInlineSnapshot(
      `"This client key's share of the upstream queue is full (3 of its requests waiting, at most 3); try again in 5 seconds"`,
    )
    expect(bed.errors.has('b0')).toBe(false)
    expect(totals(bed)).toMatchObject({ queued: 4 })
    // Once one of its requests is admitted, the key may queue another.
    await bed.release('holder')
    bed.lease('a4', 1)
    await settle()
    expect(bed.errors.has('a4')).toBe(false)
  })

  it('tells a key at its share to come back once its turn comes round, not one hold later', async () => {
    const bed = await queueWith({ concurrency: 2, queueMax: 10, clientQueueShare: 0.1 })
    bed.lease('first', null)
    await settle()
    bed.clock.advance(20_000)
    await bed.release('first')
    bed.lease('h1', null)
    bed.lease('h2', null)
    for (const [name, client] of [
      ['a0', 1],
      ['b0', 2],
      ['c0', 3],
      ['a1', 1],
    ] as const) {
      bed.lease(name, client)
    }
    await settle()
    // Slots are held 20 s on average, 2 slots: one place frees every 10 s, this key's every 30 s.
    expect(bed.errors.get('a1')).toMatchObject({
      retryAfterSeconds: 30,
      explanation: { params: { waiting: 1, clientShare: 1, retryAfterSeconds: 30 } },
    })
  })

  it('keeps at least one place per key, and the whole queue as the first limit', async () => {
    const bed = await queueWith({ queueMax: 2, clientQueueShare: 0.01 })
    bed.lease('holder', null)
    bed.lease('a0', 1)
    bed.lease('a1', 1)
    bed.lease('b0', 2)
    bed.lease('c0', 3)
    await settle()
    expect(bed.errors.get('a1')).toMatchObject({ explanation: { params: { clientShare: 1 } } })
    const full = bed.errors.get('c0')
    expect(full).toBeInstanceOf(QueueFull)
    expect((full as QueueFull).explanation.params).toEqual({ waiting: 2, retryAfterSeconds: 5 })
  })

  it('does not limit requests without a client key: an open proxy keeps the whole queue', async () => {
    const bed = await queueWith({ queueMax: 4, clientQueueShare: 0.25 })
    bed.lease('holder', null)
    for (let n = 0; n < 5; n++) bed.lease(`open${n}`, null)
    await settle()
    expect([...bed.errors.keys()]).toEqual(['open4'])
    expect(totals(bed).queued).toBe(4)
  })
})

describe('keeps-the-queue-guarantees-across-clients', () => {
  it('times waiters out in arrival order whatever their client, with one timer', async () => {
    const bed = await queueWith({ queueTimeoutMs: 1000 })
    bed.lease('holder', null)
    await settle()
    const before = bed.clock.pendingTimers()
    bed.lease('a0', 1)
    bed.clock.advance(300)
    bed.lease('b0', 2)
    bed.clock.advance(300)
    bed.lease('a1', 1)
    expect(bed.clock.pendingTimers()).toBe(before + 1)
    expect(totals(bed)).toMatchObject({ queued: 3, oldestWaitMs: 600 })
    bed.clock.advance(400)
    await settle()
    expect([...bed.errors.keys()]).toEqual(['a0'])
    expect(bed.errors.get('a0')).toBeInstanceOf(QueueTimeout)
    bed.clock.advance(300)
    await settle()
    expect([...bed.errors.keys()]).toEqual(['a0', 'b0'])
    expect(totals(bed)).toMatchObject({ queued: 1, oldestWaitMs: 700 })
    bed.clock.advance(300)
    await settle()
    expect([...bed.errors.keys()]).toEqual(['a0', 'b0', 'a1'])
    expect(bed.clock.pendingTimers()).toBe(before)
  })

  it("lets a client's only waiter leave at once; the turn goes to the next client", async () => {
    const bed = await queueWith()
    bed.lease('holder', null)
    const leaving = new AbortController()
    bed.lease('a0', 1, leaving.signal)
    bed.lease('b0', 2)
    bed.lease('a1', 1)
    await settle()
    leaving.abort(new Error('client gone'))
    await settle()
    expect(bed.errors.get('a0')).toEqual(new Error('client gone'))
    await bed.release('holder')
    await bed.release('a1')
    expect(bed.granted).toEqual(['holder', 'a1', 'b0'])
  })

  it("refuses every client's waiters at shutdown", async () => {
    const bed = await queueWith()
    bed.lease('holder', null)
    bed.lease('a0', 1)
    bed.lease('b0', 2)
    bed.lease('open0', null)
    await settle()
    bed.dispatch.close()
    await settle()
    for (const name of ['a0', 'b0', 'open0']) {
      expect(bed.errors.get(name)).toBeInstanceOf(ShuttingDown)
    }
    expect(totals(bed)).toMatchObject({ queued: 0 })
  })
})
