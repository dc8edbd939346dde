import { describe, expect, it } from 'vitest'
import { QueueFull, QueueTimeout, ShuttingDown } from '../src/errors.js'
import { createSlotGate, type SlotGateOptions } from '../src/slot-gate.js'
import type { DispatchSlot } from '../src/types.js'
import { createManualClock, settle } from './helpers/manual-clock.js'

function gateWith(options: Partial<SlotGateOptions> = {}) {
  const clock = createManualClock()
  const gate = createSlotGate({
    concurrency: 1,
    queueMax: 100,
    queueTimeoutMs: 60_000,
    now: clock.now,
    setTimer: clock.setTimer,
    ...options,
  })
  return { gate, clock }
}

/** Acquire and note, in `admitted`, when the slot arrives. */
function track(promise: Promise<DispatchSlot>, admitted: number[], id: number) {
  const result: { slot?: DispatchSlot; error?: unknown } = {}
  promise.then(
    (slot) => {
      admitted.push(id)
      result.slot = slot
    },
    (error: unknown) => {
      result.error = error
    },
  )
  return result
}

describe('serves-waiters-first-in-first-out', () => {
  it.each([1, 3])('admits 300 waiters in arrival order with %i slot(s)', async (concurrency) => {
    const { gate } = gateWith({ concurrency, queueMax: 1000 })
    const admitted: number[] = []
    const waiters = Array.from({ length: 300 }, (_, id) => track(gate.acquire(), admitted, id))
    await settle()
    expect(admitted).toEqual(Array.from({ length: concurrency }, (_, id) => id))
    for (let served = 0; served < 300; served++) {
      const slot = waiters[served]?.slot
      expect(slot).toBeDefined()
      slot?.release()
      await settle()
      expect(gate.status().inFlight).toBeLessThanOrEqual(concurrency)
    }
    expect(admitted).toEqual(Array.from({ length: 300 }, (_, id) => id))
    expect(gate.status()).toMatchObject({ inFlight: 0, queued: 0 })
  })

  it('hands a released slot straight to the next waiter and reports how long it waited', async () => {
    const { gate, clock } = gateWith()
    const first = await gate.acquire()
    const next = gate.acquire()
    clock.advance(250)
    expect(gate.status()).toMatchObject({ inFlight: 1, queued: 1, oldestWaitMs: 250 })
    first.release()
    expect(gate.status()).toMatchObject({ inFlight: 1, queued: 0, oldestWaitMs: 0 })
    expect((await next).waitedMs).toBe(250)
    expect(first.waitedMs).toBe(0)
  })
})

describe('refuses-when-the-queue-is-full', () => {
  it('rejects at once with 503 queue_full and a default Retry-After', async () => {
    const { gate } = gateWith({ queueMax: 2 })
    await gate.acquire()
    void gate.acquire()
    void gate.acquire()
    const error = await gate.acquire().catch((reason: unknown) => reason)
    expect(error).toBeInstanceOf(QueueFull)
    expect(error).toMatchObject({ code: 'SFP_QUEUE_FULL', statusCode: 503, retryAfterSeconds: 5 })
    expect((error as Error).message).toMatchInlineSnapshot(
      `"The upstream queue is full (2 requests waiting); try again in 5 seconds"`,
    )
    expect(gate.status().queued).toBe(2)
  })

  it('estimates Retry-After from how long slots are held, per slot, capped at 60 s', async () => {
    const { gate, clock } = gateWith({ concurrency: 2, queueMax: 0 })
    const slot = await gate.acquire()
    clock.advance(20_000)
    slot.release()
    await gate.acquire()
    await gate.acquire()
    const error = await gate.acquire().catch((reason: unknown) => reason)
    expect(error).toMatchObject({ retryAfterSeconds: 10 })
  })

  it('with queueMax 0 still admits while a slot is free', async () => {
    const { gate } = gateWith({ queueMax: 0 })
    await expect(gate.acquire()).resolves.toBeDefined()
    await expect(gate.acquire()).rejects.toBeInstanceOf(QueueFull)
  })
})

describe('times-out-waiters', () => {
  it('rejects each waiter when its own wait reaches the timeout, with one timer', async () => {
    const { gate, clock } = gateWith({ queueTimeoutMs: 1000 })
    await gate.acquire()
    const first = track(gate.acquire(), [], 1)
    clock.advance(400)
    const second = track(gate.acquire(), [], 2)
    expect(clock.pendingTimers()).toBe(1)
    clock.advance(599)
    await settle()
    expect(first.error).toBeUndefined()
    clock.advance(1)
    await settle()
    expect(first.error).toBeInstanceOf(QueueTimeout)
    expect(first.error).toMatchObject({ code: 'SFP_QUEUE_TIMEOUT', statusCode: 503 })
    expect(second.error).toBeUndefined()
    expect(clock.pendingTimers()).toBe(1)
    clock.advance(400)
    await settle()
    expect(second.error).toBeInstanceOf(QueueTimeout)
    expect(clock.pendingTimers()).toBe(0)
    expect(gate.status()).toMatchObject({ inFlight: 1, queued: 0 })
  })

  it('re-arms for the new head when the old one left, and drops the timer when the queue empties', async () => {
    const { gate, clock } = gateWith({ queueTimeoutMs: 1000 })
    const holder = await gate.acquire()
    const first = gate.acquire()
    clock.advance(900)
    const second = track(gate.acquire(), [], 2)
    holder.release()
    const firstSlot = await first
    clock.advance(100) // the timer set for `first` fires early for `second`, and moves on
    await settle()
    expect(second.error).toBeUndefined()
    expect(clock.pendingTimers()).toBe(1)
    clock.advance(899)
    await settle()
    expect(second.error).toBeUndefined()
    clock.advance(1)
    await settle()
    expect(second.error).toBeInstanceOf(QueueTimeout)
    expect(clock.pendingTimers()).toBe(0)
    firstSlot.release()
    const third = gate.acquire()
    expect(clock.pendingTimers()).toBe(0)
    ;(await third).release()
  })
})

describe('lets-a-waiter-leave-when-its-client-goes', () => {
  it('removes an aborted waiter at once; the others keep their order', async () => {
    const { gate } = gateWith()
    const holder = await gate.acquire()
    const admitted: number[] = []
    const leaving = new AbortController()
    const a = track(gate.acquire(), admitted, 1)
    const b = track(gate.acquire(leaving.signal), admitted, 2)
    const c = track(gate.acquire(), admitted, 3)
    leaving.abort(new Error('client gone'))
    await settle()
    expect(b.error).toEqual(new Error('client gone'))
    expect(gate.status()).toMatchObject({ inFlight: 1, queued: 2 })
    holder.release()
    await settle()
    a.slot?.release()
    await settle()
    expect(admitted).toEqual([1, 3])
    expect(c.slot).toBeDefined()
    expect(gate.status()).toMatchObject({ inFlight: 1, queued: 0 })
  })

  it('rejects an already aborted signal without taking a slot', async () => {
    const { gate } = gateWith()
    const error = await gate.acquire(AbortSignal.abort('gone')).catch((reason: unknown) => reason)
    expect(error).toBe('gone')
    expect(gate.status().inFlight).toBe(0)
  })

  it('ignores an abort after admission: the holder releases, once', async () => {
    const { gate } = gateWith()
    const controller = new AbortController()
    const slot = await gate.acquire(controller.signal)
    const next = track(gate.acquire(), [], 2)
    controller.abort()
    await settle()
    expect(gate.status()).toMatchObject({ inFlight: 1, queued: 1 })
    slot.release()
    slot.release()
    await settle()
    expect(next.slot).toBeDefined()
    expect(gate.status()).toMatchObject({ inFlight: 1, queued: 0 })
  })
})

describe('releases-a-slot-exactly-once', () => {
  it('withSlot releases when the task throws', async () => {
    const { gate } = gateWith()
    const failing = gate.withSlot(async () => {
      throw new Error('upstream broke')
    })
    const next = gate.withSlot(async (slot) => slot.waitedMs)
    await expect(failing).rejects.toThrow('upstream broke')
    await expect(next).resolves.toBe(0)
    expect(gate.status()).toMatchObject({ inFlight: 0, queued: 0 })
  })

  it('a second release() frees nothing more', async () => {
    const { gate } = gateWith({ concurrency: 2 })
    const first = await gate.acquire()
    await gate.acquire()
    const admitted: number[] = []
    track(gate.acquire(), admitted, 1)
    track(gate.acquire(), admitted, 2)
    first.release()
    first.release()
    first.release()
    await settle()
    expect(admitted).toEqual([1])
    expect(gate.status()).toMatchObject({ inFlight: 2, queued: 1 })
  })
})

describe('closes-for-shutdown', () => {
  it('rejects queued waiters and every later acquire with shutting_down', async () => {
    const { gate, clock } = gateWith()
    const holder = await gate.acquire()
    const waiting = track(gate.acquire(), [], 1)
    gate.close()
    await settle()
    expect(waiting.error).toBeInstanceOf(ShuttingDown)
    expect(waiting.error).toMatchObject({ code: 'SFP_SHUTTING_DOWN', statusCode: 503 })
    await expect(gate.acquire()).rejects.toBeInstanceOf(ShuttingDown)
    expect(clock.pendingTimers()).toBe(0)
    holder.release()
    expect(gate.status()).toMatchObject({ inFlight: 0, queued: 0 })
  })
})

describe('tells-listeners-about-changes', () => {
  it('notifies on take, queue, hand-off and leave; a throwing listener is reported', async () => {
    const errors: unknown[] = []
    const { gate } = gateWith({ reportError: (error) => errors.push(error) })
    const seen: string[] = []
    gate.onChange(() => {
      throw new Error('listener bug')
    })
    const stop = gate.onChange(() => {
      const { inFlight, queued } = gate.status()
      seen.push(`${inFlight}/${queued}`)
    })
    const slot = await gate.acquire()
    const leaving = new AbortController()
    void gate.acquire(leaving.signal).catch(() => {})
    void gate.acquire()
    leaving.abort()
    slot.release()
    stop()
    expect(seen).toEqual(['1/0', '1/1', '1/2', '1/1', '1/0'])
    expect(errors).toHaveLength(5)
  })
})
