import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { QueueFull, QueueTimeout } from '../src/errors.js'
import { clientQueueLimit } from '../src/lane-scheduler.js'
import type { Lease } from '../src/types.js'
import { createTestbed, settle } from './helpers/testbed.js'

const TIMEOUT_MS = 1000
/** Client keys 1..3, and requests without a client key (null). */
const CLIENTS = [1, 2, 3, null] as const
type Client = (typeof CLIENTS)[number]

type Op =
  | { op: 'acquire'; client: Client; withSignal: boolean }
  | { op: 'burst'; client: Client; count: number }
  | { op: 'abort'; pick: number }
  | { op: 'release'; pick: number }
  | { op: 'advance'; ms: number }

const clientArbitrary = fc.constantFrom(...CLIENTS)
const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('acquire' as const),
      client: clientArbitrary,
      withSignal: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('burst' as const),
      client: clientArbitrary,
      count: fc.integer({ min: 2, max: 8 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('abort' as const), pick: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('release' as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('advance' as const),
      ms: fc.integer({ min: 0, max: 700 }),
    }),
  },
)

type Expected = 'granted' | 'queued' | 'queue_full' | 'client_share_full'

interface Request {
  id: number
  client: Client
  enqueuedAt: number
  expected: Expected
  state: 'pending' | 'held' | 'released' | 'rejected'
  controller: AbortController | undefined
  /** Requests of its own client waiting ahead of it when it queued. */
  backlog: number
  /** Grants to each other client while it waited. */
  othersServed: Map<Client, number>
  slot?: Lease
  error?: unknown
}

interface Scenario {
  concurrency: number
  queueMax: number
  share: number
  ops: Op[]
}

async function run({ concurrency, queueMax, share, ops }: Scenario): Promise<void> {
  // One lane, one key, no guard window: the queue in front of the lanes, alone.
  const bed = await createTestbed({
    keys: 1,
    guardMinutes: 0,
    concurrency,
    queueMax,
    clientQueueShare: share,
    queueTimeoutMs: TIMEOUT_MS,
  })
  const { clock } = bed
  const limit = clientQueueLimit(queueMax, share)
  const requests: Request[] = []
  const admitted: Request[] = []
  const inState = (state: Request['state']) => requests.filter((r) => r.state === state)
  const waitingOf = (client: Client) =>
    requests.filter((r) => r.state === 'pending' && r.client === client).length

  function granted(request: Request): void {
    // Round-robin across clients: nobody waits behind more than one request of another client
    // per request of its own backlog, itself included.
    for (const waiting of inState('pending')) {
      if (waiting === request || waiting.client === request.client) continue
      const served = (waiting.othersServed.get(request.client) ?? 0) + 1
      waiting.othersServed.set(request.client, served)
      expect(
        served,
        `request ${waiting.id} waits behind client ${request.client}`,
      ).toBeLessThanOrEqual(waiting.backlog + 1)
    }
    request.state = 'held'
    admitted.push(request)
  }

  function acquire(client: Client, withSignal: boolean): void {
    const waitingAll = inState('pending').length
    const waitingOwn = waitingOf(client)
    const expected: Expected =
      waitingAll === 0 && inState('held').length < concurrency
        ? 'granted'
        : waitingAll >= queueMax
          ? 'queue_full'
          : client !== null && waitingOwn >= limit
            ? 'client_share_full'
            : 'queued'
    const controller = withSignal ? new AbortController() : undefined
    const request: Request = {
      id: requests.length,
      client,
      enqueuedAt: clock.now(),
      expected,
      // As the dispatch decided, synchronously: the promise settles a few microtasks later.
      state: expected === 'granted' ? 'held' : expected === 'queued' ? 'pending' : 'rejected',
      controller,
      backlog: waitingOwn,
      othersServed: new Map(),
    }
    requests.push(request)
    bed.dispatch.lease({ signal: controller?.signal, clientKeyId: client }).then(
      (slot) => {
        request.slot = slot
        granted(request)
      },
      (error: unknown) => {
        request.state = 'rejected'
        request.error = error
      },
    )
  }

  function checkInvariants(): void {
    const status = bed.dispatch.status().dispatch
    const held = inState('held').length
    const waiting = inState('pending')
    expect(status.inFlight).toBe(held)
    expect(status.inFlight).toBeLessThanOrEqual(concurrency)
    expect(status.queued).toBe(waiting.length)
    expect(status.queued).toBeLessThanOrEqual(queueMax)
    if (waiting.length > 0) expect(status.inFlight).toBe(concurrency)
    for (const request of waiting) {
      expect(clock.now() - request.enqueuedAt).toBeLessThan(TIMEOUT_MS)
    }
    for (const client of CLIENTS) {
      if (client !== null) expect(waitingOf(client)).toBeLessThanOrEqual(limit)
      // First in, first out within one client.
      const ids = admitted.filter((r) => r.client === client).map((r) => r.id)
      expect(ids).toEqual([...ids].sort((a, b) => a - b))
    }
  }

  /** Each request was admitted, queued or refused exactly as the rules say. */
  function checkArrival(request: Request): void {
    const { expected, error } = request
    if (expected === 'granted') expect(request.state).toBe('held')
    if (expected === 'queued') expect(request.state).toBe('pending')
    if (expected === 'queue_full' || expected === 'client_share_full') {
      expect(error).toBeInstanceOf(QueueFull)
      const params = (error as QueueFull).explanation.params
      if (expected === 'queue_full') expect(params).not.toHaveProperty('clientShare')
      else expect(params).toMatchObject({ waiting: limit, clientShare: limit })
    }
  }

  for (const step of ops) {
    const before = requests.length
    if (step.op === 'acquire') acquire(step.client, step.withSignal)
    if (step.op === 'burst') {
      // Several at once, before any of them is settled: a client's script firing in a loop.
      for (let n = 0; n < step.count; n++) acquire(step.client, false)
    }
    if (step.op === 'abort') {
      const abortable = requests.filter((r) => r.controller && !r.controller.signal.aborted)
      abortable[step.pick % Math.max(1, abortable.length)]?.controller?.abort(new Error('gone'))
    }
    if (step.op === 'release') {
      const held = inState('held')
      const request = held[step.pick % Math.max(1, held.length)]
      if (request?.slot) {
        request.state = 'released'
        request.slot.release()
      }
    }
    if (step.op === 'advance') clock.advance(step.ms)
    await settle()
    for (const request of requests.slice(before)) checkArrival(request)
    checkInvariants()
  }

  for (const request of requests) {
    if (request.state !== 'rejected') continue
    const { error } = request
    const expected =
      error instanceof QueueFull ||
      error instanceof QueueTimeout ||
      request.controller?.signal.aborted === true
    expect(expected).toBe(true)
  }
  // Drain: every admitted request is released; everyone queued is served in the end.
  for (let held = inState('held'); held.length > 0; held = inState('held')) {
    for (const request of held) {
      request.state = 'released'
      request.slot?.release()
    }
    await settle()
    checkInvariants()
  }
  expect(bed.dispatch.status().dispatch).toMatchObject({ inFlight: 0, queued: 0 })
  expect(inState('pending')).toEqual([])
  await bed.close()
}

describe('the fair queue under random arrivals from several client keys', () => {
  it('serves round-robin across keys, FIFO within one, and holds each key to its share', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          concurrency: fc.integer({ min: 1, max: 3 }),
          queueMax: fc.integer({ min: 0, max: 16 }),
          share: fc.constantFrom(0.01, 0.25, 0.5, 1),
          ops: fc.array(opArbitrary, { maxLength: 60 }),
        }),
        run,
      ),
      { numRuns: 80 },
    )
  }, 60_000)
})
