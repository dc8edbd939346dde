import createError from '@fastify/error'
import type { EgressFailure, Lease, LeaseOptions } from '@sfp/dispatch'
import type { AttemptOutcome, OutcomeVerdict } from '@sfp/key-pool'
import { Agent, type Dispatcher } from 'undici'
import type { ProxyDispatch } from '../../src/index.js'

/** Upstream keys of the fakes; the mock upstream accepts any `sk-` key. */
export const KEYS = [
  { id: 1, secret: 'sk-upstream-key-one-000001' },
  { id: 2, secret: 'sk-upstream-key-two-000002' },
  { id: 3, secret: 'sk-upstream-key-three-0003' },
] as const

export const secretOf = (id: number) => KEYS.find((key) => key.id === id)?.secret ?? ''

/** The dispatch package's refusals, by code (what the proxy recognises). */
export const KeySwitchGuard = createError('SFP_KEY_SWITCH_GUARD', '%s', 503)
export const NoAvailableKey = createError('SFP_NO_AVAILABLE_KEY', '%s', 503)
export const NoAvailableEgress = createError('SFP_NO_AVAILABLE_EGRESS', '%s', 503)
export const EgressBlocked = createError('SFP_EGRESS_BLOCKED', '%s', 503)

export function withRetryAfter<E extends Error>(error: E, seconds: number): E {
  return Object.assign(error, { retryAfterSeconds: seconds })
}

export type VerdictRule = (keyId: number, outcome: AttemptOutcome) => OutcomeVerdict

/** Roughly the key pool's rules: a rejected or rate-limited key is left, anything else kept. */
export const defaultVerdict: VerdictRule = (_keyId, outcome) => {
  if (outcome.kind === 'unauthorized') return { status: 'invalid', moveOn: true }
  if (outcome.kind === 'rateLimited') return { status: 'cooling', moveOn: true }
  return { status: 'active', moveOn: false }
}

/** An egress lane of the fake: its dispatcher, and how it judges failures and answers. */
export interface FakeLane {
  id: number
  dispatcher: Dispatcher
  /** Whether an error of a call through this lane is its way out's (default: never). */
  wayOut?: (error: unknown) => boolean
  /** Upstream `code`s that mean this lane's IP is blocked (default: none). */
  blockCodes?: readonly number[]
}

/** What a lease was told, in order. */
export type LeaseCall =
  | { call: 'beginCall'; laneId: number; keyId: number }
  | { call: 'end'; laneId: number; keyId: number; outcome: AttemptOutcome }
  | { call: 'failEgress'; laneId: number; keyId: number; failure: EgressFailure }
  | { call: 'switchKey'; laneId: number; from: number; to: number | null }
  | { call: 'release'; laneId: number; keyId: number }

export interface LeaseTaken {
  /** The lanes the proxy excluded, ascending. */
  exclude: number[]
  signal: AbortSignal | undefined
  /** The lane handed out; null while pending or when refused. */
  laneId: number | null
}

/**
 * A dispatch that hands out leases at once (no queue, no slots): the first lane not excluded,
 * the key in use while `verdict` keeps it usable. Records every lease taken and every call made
 * on a lease. `refusal` refuses every lease; `switchRefusal` every key switch; with all lanes
 * excluded a lease is refused with `noLaneRefusal`. `hold()` keeps leases pending until released.
 */
export class FakeDispatch implements ProxyDispatch {
  readonly leases: LeaseTaken[] = []
  readonly calls: LeaseCall[] = []
  readonly unusable = new Set<number>()
  verdict: VerdictRule = defaultVerdict
  refusal: Error | null = null
  switchRefusal: Error | null = null
  noLaneRefusal: Error = withRetryAfter(new NoAvailableEgress('no egress can serve now'), 30)
  waitedMs = 0
  inFlight = 0
  releases = 0
  #held: Promise<void> | null = null
  #current: number | null = null

  constructor(readonly lanes: FakeLane[] = [{ id: 1, dispatcher: new Agent() }]) {}

  async lease(options: LeaseOptions = {}): Promise<Lease> {
    const exclude = [...(options.exclude ?? [])].sort((a, b) => a - b)
    const taken: LeaseTaken = { exclude, signal: options.signal, laneId: null }
    this.leases.push(taken)
    if (this.#held) await this.#held
    if (this.refusal) throw this.refusal
    const lane = this.lanes.find((candidate) => !exclude.includes(candidate.id))
    if (lane === undefined) throw this.noLaneRefusal
    const keyId = this.chooseKey()
    taken.laneId = lane.id
    this.inFlight += 1
    return new FakeLease(this, lane, keyId)
  }

  /** Leases asked for from now on stay pending until the returned function is called. */
  hold(): () => void {
    let letGo = () => {}
    this.#held = new Promise((resolve) => {
      letGo = () => {
        this.#held = null
        resolve()
      }
    })
    return letGo
  }

  /** The key in use while usable, else the first usable one. */
  chooseKey(): number {
    const usable = KEYS.filter((key) => !this.unusable.has(key.id))
    const next = usable.find((key) => key.id === this.#current) ?? usable[0]
    if (next === undefined) throw new NoAvailableKey('no usable key')
    this.#current = next.id
    return next.id
  }

  /** What the key pool heard (through `lease.end`), in order. */
  get reports(): { keyId: number; outcome: AttemptOutcome }[] {
    return this.calls.flatMap((c) =>
      c.call === 'end' ? [{ keyId: c.keyId, outcome: c.outcome }] : [],
    )
  }

  kinds(): string[] {
    return this.reports.map(({ outcome }) => outcome.kind)
  }

  /** The key of each call begun (each upstream attempt). */
  get begun(): number[] {
    return this.calls.flatMap((c) => (c.call === 'beginCall' ? [c.keyId] : []))
  }

  get egressFailures(): { laneId: number; failure: EgressFailure }[] {
    return this.calls.flatMap((c) =>
      c.call === 'failEgress' ? [{ laneId: c.laneId, failure: c.failure }] : [],
    )
  }

  async close(): Promise<void> {
    await Promise.all(this.lanes.map((lane) => lane.dispatcher.destroy()))
  }
}

class FakeLease implements Lease {
  readonly waitedMs: number
  switched = true
  #released = false

  constructor(
    private readonly owner: FakeDispatch,
    private readonly lane: FakeLane,
    public keyId: number,
  ) {
    this.waitedMs = owner.waitedMs
  }

  get laneId(): number {
    return this.lane.id
  }
  get secret(): string {
    return secretOf(this.keyId)
  }
  get dispatcher(): Dispatcher {
    return this.lane.dispatcher
  }

  #log(call: LeaseCall): void {
    this.owner.calls.push(call)
  }

  beginCall(): void {
    this.#log({ call: 'beginCall', laneId: this.laneId, keyId: this.keyId })
  }

  async end(outcome: AttemptOutcome): Promise<OutcomeVerdict> {
    this.#log({ call: 'end', laneId: this.laneId, keyId: this.keyId, outcome })
    const verdict = this.owner.verdict(this.keyId, outcome)
    if (verdict.moveOn) this.owner.unusable.add(this.keyId)
    return verdict
  }

  failEgress(failure: EgressFailure): void {
    this.#log({ call: 'failEgress', laneId: this.laneId, keyId: this.keyId, failure })
  }

  isWayOutFailure(error: unknown): boolean {
    return this.lane.wayOut?.(error) ?? false
  }

  isBlockAnswer(body: Buffer | null): boolean {
    try {
      const { code } = JSON.parse(body?.toString() ?? 'null') as { code?: unknown }
      return this.lane.blockCodes?.includes(Number(code)) ?? false
    } catch {
      return false
    }
  }

  switchKey(): boolean {
    const from = this.keyId
    let to: number | null = null
    try {
      if (this.owner.switchRefusal) throw this.owner.switchRefusal
      to = this.owner.chooseKey()
    } finally {
      this.#log({ call: 'switchKey', laneId: this.laneId, from, to })
    }
    if (to === from) return false
    this.keyId = to
    return true
  }

  release(): void {
    if (this.#released) return
    this.#released = true
    this.owner.inFlight -= 1
    this.owner.releases += 1
    this.#log({ call: 'release', laneId: this.laneId, keyId: this.keyId })
  }
}
