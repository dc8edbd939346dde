import type { EgressService } from '@sfp/egress'
import type { AttemptOutcome, KeyPool, OutcomeVerdict } from '@sfp/key-pool'
import type { Dispatcher } from 'undici'
import { type KeyDecision, type Refusal, refusalError } from './key-chooser.js'
import type { Lane } from './lane.js'
import type { LaneSet } from './lane-set.js'
import type { EgressFailure, Lease } from './types.js'

/** What every lease of one dispatch shares. */
export interface LeaseContext {
  lanes: LaneSet
  pool: Pick<KeyPool, 'report' | 'secret'>
  egress: Pick<
    EgressService,
    'markDown' | 'markBlocked' | 'recordCall' | 'isWayOutFailure' | 'isBlockAnswer' | 'wasCut'
  >
  now: () => number
  /** A call is about to go out through `dispatcher` (the lane's as of the grant). */
  beforeSend(lane: Lane, dispatcher: Dispatcher): void
  /** A lane switched keys. */
  switched(lane: Lane, fromKeyId: number | null, toKeyId: number): void
}

/** Calls that end with an answer from upstream count as the egress's successes. */
const reachedUpstream = (outcome: AttemptOutcome) => outcome.kind !== 'networkError'

/** Shared with the leak detector, which must not keep the lease itself alive. */
export interface LeaseState {
  released: boolean
  lane: Lane
  heldSince: number
  /**
   * The lane's dispatcher when the lease was granted: every call of the lease goes through it,
   * so a lane cut meanwhile (cluster mode: its lease lapsed) fails them instead of sending.
   */
  dispatcher: Dispatcher
  /** The request's model: a key switch only takes keys upstream has not refused it to. */
  model?: string | undefined
}

/**
 * One slot of one lane and its key. Each attempt is a call: opened when the key is chosen (the
 * guard records the use), closed by `end` / `failEgress` (or by `release`, whichever comes
 * first), so the lane's guard, the key's binding and the pool hear about every call exactly once.
 */
export class LaneLease implements Lease {
  #keyId: number
  #secret: string
  #switched: boolean
  #callOpen = false

  constructor(
    private readonly context: LeaseContext,
    readonly state: LeaseState,
    readonly waitedMs: number,
    decision: Exclude<KeyDecision, Refusal>,
    /** Gives the lane's slot back (the scheduler serves the next waiter). */
    private readonly free: () => void,
  ) {
    this.#keyId = decision.keyId
    this.#switched = decision.kind === 'switch'
    this.#secret = context.pool.secret(decision.keyId)
    this.#open(decision)
  }

  get laneId(): number {
    return this.state.lane.id
  }
  get keyId(): number {
    return this.#keyId
  }
  get secret(): string {
    return this.#secret
  }
  get switched(): boolean {
    return this.#switched
  }
  /** Read when a call goes out: a lane whose lease ran out since the grant is cut first. */
  get dispatcher(): Dispatcher {
    this.context.beforeSend(this.state.lane, this.state.dispatcher)
    return this.state.dispatcher
  }

  /** The lane was cut since the grant (cluster mode): this process may not send there now. */
  get #cut(): boolean {
    return this.context.egress.wasCut(this.laneId, this.state.dispatcher)
  }

  #open(decision: Exclude<KeyDecision, Refusal>): void {
    const { lanes } = this.context
    const { lane } = this.state
    if (decision.kind === 'switch') {
      lanes.bind(lane, decision.keyId, decision.reason)
      this.context.switched(lane, decision.fromKeyId, decision.keyId)
    }
    lanes.callStarted(lane, decision.keyId)
    this.#callOpen = true
  }

  /** Close the call with the current key, if one is open; `ok`: an answer came back. */
  closeCall(ok: boolean): boolean {
    if (!this.#callOpen) return false
    this.#callOpen = false
    this.context.lanes.callEnded(this.state.lane, this.#keyId)
    this.context.egress.recordCall(this.state.lane.id, ok)
    return true
  }

  beginCall(): void {
    if (this.#callOpen || this.state.released) return
    this.#open({ kind: 'keep', keyId: this.#keyId })
  }

  async end(outcome: AttemptOutcome): Promise<OutcomeVerdict> {
    this.closeCall(reachedUpstream(outcome))
    return this.context.pool.report(this.#keyId, outcome, this.dispatcher)
  }

  failEgress(failure: EgressFailure): void {
    // Cut by this process, not failed: the lane stays as it is for its next driver.
    if (this.#cut) {
      this.closeCall(false)
      return
    }
    const blocked = failure.code === 'egress_blocked'
    this.closeCall(blocked)
    if (blocked) this.context.egress.markBlocked(this.laneId, failure)
    else this.context.egress.markDown(this.laneId, failure)
  }

  isWayOutFailure(error: unknown): boolean {
    // A cut lane's calls fail by design: the request moves to another lane, like a way out down.
    return this.#cut || this.context.egress.isWayOutFailure(this.laneId, error)
  }

  isBlockAnswer(body: Buffer | null): boolean {
    return this.context.egress.isBlockAnswer(body)
  }

  switchKey(): boolean {
    const { lanes, now } = this.context
    const { lane } = this.state
    if (this.#callOpen) throw new Error('switchKey() before the last call ended')
    const time = now()
    const decision = lanes.decide(lane, time, this.state.model)
    if (decision.kind === 'refuse') throw refusalError(decision, time)
    // The chooser keeps this key; or other calls of this lane still use the old key, and one IP
    // never has two keys out at once.
    if (decision.keyId === this.#keyId) return false
    if (decision.kind === 'switch' && lane.callsWithOtherKeys(decision.keyId) > 0) return false
    this.#keyId = decision.keyId
    this.#secret = this.context.pool.secret(decision.keyId)
    this.#switched = this.#switched || decision.kind === 'switch'
    this.#open(decision)
    return true
  }

  release(): void {
    if (this.state.released) return
    this.closeCall(true)
    this.free()
  }
}
