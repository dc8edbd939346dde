import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { QueueFull, QueueTimeout } from '../src/errors.js'
import type { Lease } from '../src/types.js'
import { createTestbed, settle } from './helpers/testbed.js'

const TIMEOUT_MS = 1000

type Op =
  | { op: 'acquire'; withSignal: boolean }
  | { op: 'abort'; pick: number }
  | { op: 'release'; pick: number; twice: boolean }
  | { op: 'advance'; ms: number }

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('acquire' as const), withSignal: fc.boolean() }),
  fc.record({ op: fc.constant('abort' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('release' as const), pick: fc.nat(), twice: fc.boolean() }),
  fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 1500 }) }),
)

interface Request {
  id: number
  enqueuedAt: number
  state: 'pending' | 'held' | 'released' | 'rejected'
  controller: AbortController | undefined
  slot?: Lease
  error?: unknown
}

async function run(concurrency: number, queueMax: number, ops: Op[]): Promise<void> {
  // One lane, one key, no guard window: the queue in front of the lanes, alone.
  const bed = await createTestbed({
    keys: 1,
    guardMinutes: 0,
    concurrency,
    queueMax,
    queueTimeoutMs: TIMEOUT_MS,
  })
  const { clock } = bed
  const gate = {
    status: () => bed.dispatch.status().dispatch,
    acquire: (signal?: AbortSignal) => bed.dispatch.lease({ signal }),
  }
  const requests: Request[] = []
  const admissionOrder: number[] = []
  const inState = (state: Request['state']) => requests.filter((r) => r.state === state)

  function acquire(withSignal: boolean): void {
    const controller = withSignal ? new AbortController() : undefined
    const request: Request = {
      id: requests.length,
      enqueuedAt: clock.now(),
      state: 'pending',
      controller,
    }
    requests.push(request)
    gate.acquire(controller?.signal).then(
      (slot) => {
        request.state = 'held'
        request.slot = slot
        admissionOrder.push(request.id)
      },
      (error: unknown) => {
        request.state = 'rejected'
        request.error = error
      },
    )
  }

  function checkInvariants(): void {
    const status = gate.status()
    const held = inState('held').length
    const waiting = inState('pending')
    expect(status.inFlight).toBe(held)
    expect(status.inFlight).toBeLessThanOrEqual(concurrency)
    expect(status.queued).toBe(waiting.length)
    expect(status.queued).toBeLessThanOrEqual(queueMax)
    // Nobody waits while a slot is free, and nobody waits past the timeout.
    if (waiting.length > 0) expect(status.inFlight).toBe(concurrency)
    for (const request of waiting) {
      expect(clock.now() - request.enqueuedAt).toBeLessThan(TIMEOUT_MS)
    }
    // Admission in arrival order: ids are handed out in arrival order.
    expect(admissionOrder).toEqual([...admissionOrder].sort((a, b) => a - b))
    for (const request of inState('rejected')) {
      const { error } = request
      const expected =
        error instanceof QueueFull ||
        error instanceof QueueTimeout ||
        request.controller?.signal.aborted === true
      expect(expected).toBe(true)
    }
  }

  for (const step of ops) {
    if (step.op === 'acquire') acquire(step.withSignal)
    if (step.op === 'abort') {
      const abortable = requests.filter((r) => r.controller && !r.controller.signal.aborted)
      abortable[step.pick % Math.max(1, abortable.length)]?.controller?.abort(new Error('gone'))
    }
    if (step.op === 'release') {
      const held = inState('held')
      const request = held[step.pick % Math.max(1, held.length)]
      if (request) {
        request.state = 'released'
        request.slot?.release()
        if (step.twice) request.slot?.release()
      }
    }
    if (step.op === 'advance') clock.advance(step.ms)
    await settle()
    checkInvariants()
  }

  // Drain: every admitted request is released (exactly once counts: inFlight must reach 0).
  for (let held = inState('held'); held.length > 0; held = inState('held')) {
    for (const request of held) {
      request.state = 'released'
      request.slot?.release()
    }
    await settle()
    checkInvariants()
  }
  expect(gate.status()).toMatchObject({ inFlight: 0, queued: 0 })
  expect(inState('pending')).toEqual([])
  await bed.close()
}

describe('queue invariants under random lease/abort/timeout/release sequences', () => {
  it('keeps in-flight ≤ concurrency, FIFO admission, bounded queue, one release per slot', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 5 }),
        fc.array(opArbitrary, { maxLength: 60 }),
        run,
      ),
      { numRuns: 80 },
    )
  }, 60_000)
})
