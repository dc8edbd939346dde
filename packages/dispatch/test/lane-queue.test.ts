import { describe, expect, it } from 'vitest'
import { QueueFull, QueueTimeout, ShuttingDown } from '../src/errors.js'
import type { Lease, LeaseOptions } from '../src/types.js'
import { createTestbed, settle, type TestbedOptions } from './helpers/testbed.js'

/** One lane (the built-in direct one), one key, no guard window: the queue alone. */
async function queueWith(options: TestbedOptions = {}) {
  const bed = await createTestbed({ keys: 1, guardMinutes: 0, ...options })
  return { ...bed, lease: (lease: LeaseOptions = {}) => bed.dispatch.lease(lease) }
}

/** Lease and note, in `admitted`, when the lease arrives. */
function track(promise: Promise<Lease>, admitted: number[], id: number) {
  const result: { lease?: Lease; error?: unknown } = {}
  promise.then(
    (lease) => {
      admitted.push(id)
      result.lease = lease
    },
    (error: unknown) => {
      result.error = error
    },
  )
  return result
}

const totals = (bed: Awaited<ReturnType<typeof queueWith>>) => bed.dispatch.status().dispatch

describe('serves-waiters-first-in-first-out', () => {
  it.each([1, 3])('admits 300 waiters in arrival order with %i slot(s)', async (concurrency) => {
    const bed = await queueWith({ concurrency, queueMax: 1000 })
    const admitted: number[] = []
    const waiters = Array.from({ length: 300 }, (_, id) => track(bed.lease(), admitted, id))
    await settle()
    expect(admitted).toEqual(Array.from({ length: concurrency }, (_, id) => id))
    for (let served = 0; served < 300; served++) {
      const lease = waiters[served]?.lease
      expect(lease).toBeDefined()
      lease?.release()
      await settle()
      expect(totals(bed).inFlight).toBeLessThanOrEqual(concurrency)
    }
    expect(admitted).toEqual(Array.from({ length: 300 }, (_, id) => id))
    expect(totals(bed)).toMatchObject({ inFlight: 0, queued: 0 })
  })

  it('hands a released slot straight to the next waiter and reports how long it waited', async () => {
    const bed = await queueWith()
    const first = await bed.lease()
    const next = bed.lease()
    bed.clock.advance(250)
    expect(totals(bed)).toMatchObject({ inFlight: 1, queued: 1, oldestWaitMs: 250 })
    first.release()
    expect(totals(bed)).toMatchObject({ inFlight: 1, queued: 0, oldestWaitMs: 0 })
    expect((await next).waitedMs).toBe(250)
    expect(first.waitedMs).toBe(0)
  })
})

describe('refuses-when-the-queue-is-full', () => {
  it('rejects at once with 503 queue_full and a default Retry-After', async () => {
    const bed = await queueWith({ queueMax: 2 })
    await bed.lease()
    void bed.lease().catch(() => {})
    void bed.lease().catch(() => {})
    const error = await bed.lease().catch((reason: unknown) => reason)
    expect(error).toBeInstanceOf(QueueFull)
    expect(error).toMatchObject({ code: 'SFP_QUEUE_FULL', statusCode: 503, retryAfterSeconds: 5 })
    expect((error as Error).message).toMatchInlineSnapshot(
      `"The upstream queue is full (2 requests waiting); try again in 5 seconds"`,
    )
    // The same as a code, for the answer's `error.explanation`.
    expect(error).toMatchObject({
      explanation: { code: 'queue_full', params: { waiting: 2, retryAfterSeconds: 5 } },
    })
    expect(totals(bed).queued).toBe(2)
  })

  it('estimates Retry-After from how long slots are held, per slot, capped at 60 s', async () => {
    const bed = await queueWith({ concurrency: 2, queueMax: 0 })
    const lease = await bed.lease()
    bed.clock.advance(20_000)
    lease.release()
    await bed.lease()
    await bed.lease()
    const error = await bed.lease().catch((reason: unknown) => reason)
    expect(error).toMatchObject({ retryAfterSeconds: 10 })
  })

  it('with queueMax 0 still admits while a slot is free', async () => {
    const bed = await queueWith({ queueMax: 0 })
    await expect(bed.lease()).resolves.toBeDefined()
    await expect(bed.lease()).rejects.toBeInstanceOf(QueueFull)
  })
})

describe('times-out-waiters', () => {
  it('rejects each waiter when its own wait reaches the timeout, with one timer', async () => {
    const bed = await queueWith({ queueTimeoutMs: 1000 })
    await bed.lease()
    const before = bed.clock.pendingTimers()
    const first = track(bed.lease(), [], 1)
    bed.clock.advance(400)
    const second = track(bed.lease(), [], 2)
    expect(bed.clock.pendingTimers()).toBe(before + 1)
    bed.clock.advance(599)
    await settle()
    expect(first.error).toBeUndefined()
    bed.clock.advance(1)
    await settle()
    expect(first.error).toBeInstanceOf(QueueTimeout)
    expect(first.error).toMatchObject({
      code: 'SFP_QUEUE_TIMEOUT',
      statusCode: 503,
      explanation: { code: 'queue_timeout', params: { waitedMs: 1000 } },
    })
    expect(second.error).toBeUndefined()
    bed.clock.advance(400)
    await settle()
    expect(second.error).toBeInstanceOf(QueueTimeout)
    expect(bed.clock.pendingTimers()).toBe(before)
    expect(totals(bed)).toMatchObject({ inFlight: 1, queued: 0 })
  })
})

describe('lets-a-waiter-leave-when-its-client-goes', () => {
  it('removes an aborted waiter at once; the others keep their order', async () => {
    const bed = await queueWith()
    const holder = await bed.lease()
    const admitted: number[] = []
    const leaving = new AbortController()
    const a = track(bed.lease(), admitted, 1)
    const b = track(bed.lease({ signal: leaving.signal }), admitted, 2)
    const c = track(bed.lease(), admitted, 3)
    leaving.abort(new Error('client gone'))
    await settle()
    expect(b.error).toEqual(new Error('client gone'))
    expect(totals(bed)).toMatchObject({ inFlight: 1, queued: 2 })
    holder.release()
    await settle()
    a.lease?.release()
    await settle()
    expect(admitted).toEqual([1, 3])
    expect(c.lease).toBeDefined()
    expect(totals(bed)).toMatchObject({ inFlight: 1, queued: 0 })
  })

  it('rejects an already aborted signal without taking a slot', async () => {
    const bed = await queueWith()
    const error = await bed.lease({ signal: AbortSignal.abort('gone') }).catch((r: unknown) => r)
    expect(error).toBe('gone')
    expect(totals(bed).inFlight).toBe(0)
  })

  it('ignores an abort after admission: the holder releases, once', async () => {
    const bed = await queueWith()
    const controller = new AbortController()
    const lease = await bed.lease({ signal: controller.signal })
    const next = track(bed.lease(), [], 2)
    controller.abort()
    await settle()
    expect(totals(bed)).toMatchObject({ inFlight: 1, queued: 1 })
    lease.release()
    lease.release()
    await settle()
    expect(next.lease).toBeDefined()
    expect(totals(bed)).toMatchObject({ inFlight: 1, queued: 0 })
  })
})

describe('releases-a-slot-exactly-once', () => {
  it('a second release() frees nothing more', async () => {
    const bed = await queueWith({ concurrency: 2 })
    const first = await bed.lease()
    await bed.lease()
    const admitted: number[] = []
    track(bed.lease(), admitted, 1)
    track(bed.lease(), admitted, 2)
    first.release()
    first.release()
    first.release()
    await settle()
    expect(admitted).toEqual([1])
    expect(totals(bed)).toMatchObject({ inFlight: 2, queued: 1 })
  })
})

describe('closes-for-shutdown', () => {
  it('rejects queued waiters and every later lease with shutting_down', async () => {
    const bed = await queueWith()
    const holder = await bed.lease()
    const waiting = track(bed.lease(), [], 1)
    bed.dispatch.close()
    await settle()
    expect(waiting.error).toBeInstanceOf(ShuttingDown)
    expect(waiting.error).toMatchObject({ code: 'SFP_SHUTTING_DOWN', statusCode: 503 })
    await expect(bed.lease()).rejects.toBeInstanceOf(ShuttingDown)
    holder.release()
    expect(totals(bed)).toMatchObject({ inFlight: 0, queued: 0 })
  })
})

describe('tells-listeners-about-changes', () => {
  it('notifies on take, queue, hand-off and leave; a throwing listener is reported', async () => {
    const errors: unknown[] = []
    const bed = await queueWith({ reportError: (error) => errors.push(error) })
    const seen = new Set<string>()
    bed.dispatch.onChange(() => {
      throw new Error('listener bug')
    })
    const stop = bed.dispatch.onChange(() => {
      const { inFlight, queued } = totals(bed)
      seen.add(`${inFlight}/${queued}`)
    })
    const lease = await bed.lease()
    const leaving = new AbortController()
    void bed.lease({ signal: leaving.signal }).catch(() => {})
    void bed.lease().catch(() => {})
    leaving.abort()
    lease.release()
    stop()
    expect([...seen]).toEqual(['1/0', '1/1', '1/2'])
    expect(errors.length).toBeGreaterThanOrEqual(5)
    expect(errors.every((error) => (error as Error).message === 'listener bug')).toBe(true)
  })
})
