import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Lease } from '../src/types.js'
import { BLOCKED, createTestbed, REFUSED, settle } from './helpers/testbed.js'

const MINUTE = 60_000
const WINDOW = 30 * MINUTE

type Op =
  | { op: 'lease'; withSignal: boolean }
  | { op: 'abort'; pick: number }
  | { op: 'end'; pick: number; outcome: 'success' | 'rateLimited' | 'clientError' }
  | { op: 'switch'; pick: number }
  | { op: 'release'; pick: number }
  | { op: 'egressFails'; pick: number; kind: 'down' | 'blocked' }
  | { op: 'toggleKey'; pick: number }
  | { op: 'toggleEgress'; pick: number }
  | { op: 'activate'; pick: number }
  | { op: 'advance'; minutes: number }

const pick = fc.nat({ max: 50 })
const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ op: fc.constant('lease' as const), withSignal: fc.boolean() }),
  },
  fc.record({ op: fc.constant('abort' as const), pick }),
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('end' as const),
      pick,
      outcome: fc.constantFrom('success' as const, 'rateLimited' as const, 'clientError' as const),
    }),
  },
  fc.record({ op: fc.constant('switch' as const), pick }),
  { weight: 3, arbitrary: fc.record({ op: fc.constant('release' as const), pick }) },
  fc.record({
    op: fc.constant('egressFails' as const),
    pick,
    kind: fc.constantFrom('down' as const, 'blocked' as const),
  }),
  fc.record({ op: fc.constant('toggleKey' as const), pick }),
  fc.record({ op: fc.constant('toggleEgress' as const), pick }),
  fc.record({ op: fc.constant('activate' as const), pick }),
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('advance' as const),
      minutes: fc.integer({ min: 0, max: 40 }),
    }),
  },
)

interface Held {
  lease: Lease
  callOpen: boolean
}

/** What the upstream would see: every call's key, lane and time, checked as it starts. */
class InvariantModel {
  readonly violations: string[] = []
  /** lane -> key -> last activity (start or end of a call). */
  readonly #activity = new Map<number, Map<number, number>>()
  /** lane/key -> last start of a call. */
  readonly #starts = new Map<string, number>()
  readonly #inFlight = new Map<string, number>()
  /** lane -> time of the last admin override, and the key it chose. */
  readonly #overrides = new Map<number, { at: number; keyId: number }>()

  override(laneId: number, keyId: number, now: number): void {
    this.#overrides.set(laneId, { at: now, keyId })
  }

  start(laneId: number, keyId: number, now: number, concurrency: number, held: number): void {
    if (held > concurrency) this.violations.push(`lane ${laneId}: ${held} calls at once`)
    const lane = this.#activity.get(laneId) ?? new Map<number, number>()
    this.#activity.set(laneId, lane)
    const override = this.#overrides.get(laneId)
    for (const [other, at] of lane) {
      if (other === keyId) continue
      const last = (this.#inFlight.get(`${laneId}/${other}`) ?? 0) > 0 ? now : at
      // The admin's override is the one exception: calls of the key it chose, against keys
      // that started nothing on this lane since.
      const otherStart = this.#starts.get(`${laneId}/${other}`) ?? 0
      const excused =
        override !== undefined && override.keyId === keyId && override.at >= otherStart
      if (now - last < WINDOW && !excused) {
        this.violations.push(`lane ${laneId}: key ${keyId} ${now - last} ms after key ${other}`)
      }
    }
    for (const [otherLane, keys] of this.#activity) {
      if (otherLane === laneId) continue
      const at = keys.get(keyId)
      if (at === undefined) continue
      const last = (this.#inFlight.get(`${otherLane}/${keyId}`) ?? 0) > 0 ? now : at
      if (now - last < WINDOW) {
        this.violations.push(
          `key ${keyId}: lane ${laneId} ${now - last} ms after lane ${otherLane}`,
        )
      }
    }
    lane.set(keyId, now)
    const id = `${laneId}/${keyId}`
    this.#starts.set(id, now)
    this.#inFlight.set(id, (this.#inFlight.get(id) ?? 0) + 1)
  }

  end(laneId: number, keyId: number, now: number): void {
    const id = `${laneId}/${keyId}`
    this.#inFlight.set(id, (this.#inFlight.get(id) ?? 1) - 1)
    this.#activity.get(laneId)?.set(keyId, now)
  }
}

interface Setup {
  keys: number
  concurrency: number
}

async function run(setup: Setup, ops: Op[]): Promise<void> {
  const { concurrency } = setup
  const bed = await createTestbed({ proxies: 2, keys: setup.keys, concurrency, queueMax: 20 })
  const model = new InvariantModel()
  const held: Held[] = []
  const pending: AbortController[] = []
  const heldOn = (laneId: number) => held.filter((entry) => entry.lease.laneId === laneId).length
  const at = <T>(list: T[], index: number) => list[index % Math.max(1, list.length)]

  function open(entry: Held): void {
    const { lease } = entry
    entry.callOpen = true
    model.start(lease.laneId, lease.keyId, bed.clock.now(), concurrency, heldOn(lease.laneId))
  }
  function close(entry: Held): void {
    if (!entry.callOpen) return
    entry.callOpen = false
    model.end(entry.lease.laneId, entry.lease.keyId, bed.clock.now())
  }

  for (const op of ops) {
    switch (op.op) {
      case 'lease': {
        const controller = op.withSignal ? new AbortController() : undefined
        if (controller) pending.push(controller)
        bed.dispatch.lease({ signal: controller?.signal }).then(
          (lease) => {
            const entry = { lease, callOpen: false }
            held.push(entry)
            open(entry)
          },
          () => {},
        )
        break
      }
      case 'abort':
        at(pending, op.pick)?.abort()
        break
      case 'end': {
        const entry = at(
          held.filter((h) => h.callOpen),
          op.pick,
        )
        if (!entry) break
        close(entry)
        const outcome =
          op.outcome === 'rateLimited'
            ? { kind: 'rateLimited' as const, retryAfterMs: 60_000 }
            : op.outcome === 'clientError'
              ? { kind: 'clientError' as const, status: 400 }
              : { kind: 'success' as const }
        await entry.lease.end(outcome)
        break
      }
      case 'switch': {
        const entry = at(
          held.filter((h) => !h.callOpen),
          op.pick,
        )
        if (!entry) break
        try {
          if (entry.lease.switchKey()) open(entry)
        } catch {
          // A refusal: nothing was sent.
        }
        break
      }
      case 'release': {
        const entry = at(held, op.pick)
        if (!entry) break
        close(entry)
        entry.lease.release()
        held.splice(held.indexOf(entry), 1)
        break
      }
      case 'egressFails': {
        const entry = at(
          held.filter((h) => h.callOpen),
          op.pick,
        )
        if (!entry) break
        close(entry)
        entry.lease.failEgress(op.kind === 'blocked' ? BLOCKED : REFUSED)
        entry.lease.release()
        held.splice(held.indexOf(entry), 1)
        break
      }
      case 'toggleKey': {
        const id = at(bed.keyIds, op.pick) as number
        bed.pool.update(id, { enabled: bed.pool.view(id)?.status === 'disabled' })
        break
      }
      case 'toggleEgress': {
        const id = at(bed.laneIds, op.pick) as number
        bed.egress.update(id, { enabled: !bed.egress.view(id).enabled })
        break
      }
      case 'activate': {
        const id = at(bed.keyIds, op.pick) as number
        const laneId = bed.dispatch.activate(id)
        if (laneId !== null) model.override(laneId, id, bed.clock.now())
        break
      }
      case 'advance':
        bed.clock.advance(op.minutes * MINUTE)
        break
    }
    await settle()
    const totals = bed.dispatch.status()
    for (const lane of totals.egresses) {
      expect(lane.dispatch.inFlight).toBe(heldOn(lane.id))
      expect(lane.dispatch.inFlight).toBeLessThanOrEqual(concurrency)
    }
  }
  // Release everything; whatever still waits is served as slots free, or times out: no slot is
  // lost either way.
  for (let round = 0; round < 100; round++) {
    if (held.length === 0 && bed.dispatch.status().dispatch.queued === 0) break
    for (const entry of held.splice(0)) {
      close(entry)
      entry.lease.release()
      await settle()
    }
    if (held.length === 0) bed.clock.advance(20 * MINUTE)
    await settle()
  }
  expect(bed.dispatch.status().dispatch).toMatchObject({ inFlight: 0, queued: 0 })
  expect(model.violations).toEqual([])
  await bed.close()
}

describe('lanes-keep-their-invariants', () => {
  it('under random leases, outcomes, egress failures, admin actions and time', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          keys: fc.integer({ min: 1, max: 5 }),
          concurrency: fc.integer({ min: 1, max: 2 }),
        }),
        fc.array(opArbitrary, { minLength: 1, maxLength: 80 }),
        run,
      ),
      { numRuns: 100 },
    )
  }, 120_000)
})
