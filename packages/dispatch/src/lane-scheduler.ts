import { CheckNotNeeded } from '@sfp/key-pool'
import type { Clock } from '@sfp/runtime'
import type { DispatchStatus } from '@sfp/schemas'
import {
  QueueFull,
  QueueTimeout,
  retryAfterSeconds,
  ShuttingDown,
  withRetryAfter,
} from './errors.js'
import { type FairLinked, FairQueue } from './fair-queue.js'
import { type KeyDecision, type Refusal, refusalError } from './key-chooser.js'
import type { Lane } from './lane.js'
import type { LaneSet, LaneVerdict } from './lane-set.js'
import { LaneLease, type LeaseContext, type LeaseState } from './lease.js'
import { combineRefusals, type LaneRefusal } from './refusals.js'
import type { KeyLeaseOptions, Lease, LeaseOptions } from './types.js'
import { WaiterList } from './waiter-list.js'

export interface SchedulerOptions {
  lanes: LaneSet
  context: Omit<LeaseContext, 'lanes'>
  /** DISPATCH_QUEUE_MAX: waiters in all; more are refused at once. */
  queueMax: number
  /** CLIENT_QUEUE_SHARE: the share of `queueMax` one client key may hold. */
  clientQueueShare: number
  /** DISPATCH_QUEUE_TIMEOUT_MS: longest wait. */
  queueTimeoutMs: number
  clock: Clock
  /** After a slot was taken or given back and after the queue changed. */
  changed: () => void
  reportError: (error: unknown) => void
}

/** Retry-After for queue_full before any slot has been released, so no hold time is known. */
export const QUEUE_FULL_DEFAULT_RETRY_SECONDS = 5
/** Longest Retry-After for queue_full: OpenAI's SDKs ignore longer ones and use their own backoff. */
export const QUEUE_FULL_MAX_RETRY_SECONDS = 60
const HOLD_AVERAGE_WEIGHT = 0.2

/**
 * The most waiters one client key may hold: CLIENT_QUEUE_SHARE of DISPATCH_QUEUE_MAX, at least
 * one. (The epsilon keeps 0.29 * 100 at 29: in floating point it is 28.999999999999996.)
 */
export function clientQueueLimit(queueMax: number, share: number): number {
  return Math.max(1, Math.floor(share * queueMax + 1e-9))
}

/** One queued lease. It is its own abort listener (`handleEvent`): no closure per waiter. */
class Waiter implements FairLinked<Waiter> {
  prev: Waiter | null = null
  next: Waiter | null = null
  older: Waiter | null = null
  newer: Waiter | null = null
  listed = false
  readonly clientKeyId: number | null
  constructor(
    readonly enqueuedAt: number,
    readonly options: LeaseOptions & Partial<KeyLeaseOptions>,
    readonly resolve: (lease: Lease) => void,
    readonly reject: (reason: unknown) => void,
    readonly onAbort: (waiter: Waiter) => void,
  ) {
    this.clientKeyId = options.clientKeyId ?? null
  }
  /** Pinned to one key's lane, or kept off some lanes: served apart from the plain queue. */
  get constrained(): boolean {
    return this.options.keyId !== undefined || (this.options.exclude?.size ?? 0) > 0
  }
  handleEvent(): void {
    this.onAbort(this)
  }
}

type Attempt =
  | { kind: 'granted'; lease: Lease }
  | { kind: 'wait' }
  | { kind: 'failed'; error: unknown }

/**
 * One queue in front of every lane (README "Egress lanes"), served round-robin across client
 * keys and first in first out within one key (README "Fair queue"). The waiter served next goes
 * to a lane with a free slot and a usable key, the least recently busy first; lanes that could
 * serve once a call ends make it wait; when no lane can serve now or later it gets the refusal at
 * once. Waiters pinned to a key's lane (balance checks) or kept off lanes (a request moving after
 * a way-out failure) sit in a second, short list served first, so they never hold up the plain
 * queue. All waiters share one timeout: one timer serves both, oldest first.
 */
export class LaneScheduler {
  readonly #options: SchedulerOptions
  readonly #context: LeaseContext
  readonly #queue = new FairQueue<Waiter>()
  readonly #constrained = new WaiterList<Waiter>()
  readonly #clientLimit: number
  #closed = false
  #pumping = false
  #pumpAgain = false
  #grants = 0
  #cancelTimer: (() => void) | null = null
  #averageHoldMs: number | null = null
  // Last resort against a holder that drops its lease without `release()`: once the lease is
  // garbage, its slot is given back, so one bug cannot wedge a lane of one slot forever.
  readonly #leakDetector = new FinalizationRegistry<LeaseState>((state) => {
    if (state.released) return
    this.#free(state)
    this.#options.reportError(
      new Error('a dispatch lease was garbage-collected without release(); freed it'),
    )
  })

  constructor(options: SchedulerOptions) {
    this.#options = options
    this.#context = { ...options.context, lanes: options.lanes }
    this.#clientLimit = clientQueueLimit(options.queueMax, options.clientQueueShare)
  }

  get size(): number {
    return this.#queue.size + this.#constrained.size
  }

  lease(options: LeaseOptions & Partial<KeyLeaseOptions>): Promise<Lease> {
    if (this.#closed) return Promise.reject(new ShuttingDown())
    if (options.signal?.aborted) return Promise.reject(options.signal.reason)
    const constrained = options.keyId !== undefined || (options.exclude?.size ?? 0) > 0
    const urgent = (options.exclude?.size ?? 0) > 0
    // Nobody overtakes a waiter of its own list. (Constrained waiters never wait for a lane that
    // is free: each release serves them first.)
    if ((constrained ? this.#constrained : this.#queue).size === 0) {
      const attempt = this.#attempt(options, 0)
      if (attempt.kind === 'granted') return Promise.resolve(attempt.lease)
      if (attempt.kind === 'failed') return Promise.reject(attempt.error)
    }
    if (!urgent && this.size >= this.#options.queueMax) {
      const seconds = this.#queueFullRetrySeconds()
      return Promise.reject(withRetryAfter(new QueueFull(this.size, seconds), seconds))
    }
    // One client key's share (requests without one are a group that no share limits: they are
    // the whole queue of an open proxy).
    const clientKeyId = options.clientKeyId ?? null
    if (!constrained && clientKeyId !== null) {
      const waiting = this.#queue.sizeOf(clientKeyId)
      if (waiting >= this.#clientLimit) {
        const seconds = this.#queueFullRetrySeconds(this.#queue.clients)
        const error = new QueueFull(waiting, seconds, this.#clientLimit)
        return Promise.reject(withRetryAfter(error, seconds))
      }
    }
    return new Promise<Lease>((resolve, reject) => {
      const waiter = new Waiter(this.#options.clock.now(), options, resolve, reject, this.#abandon)
      ;(waiter.constrained ? this.#constrained : this.#queue).push(waiter)
      options.signal?.addEventListener('abort', waiter, { once: true })
      this.#armTimer()
      this.#options.changed()
    })
  }

  /** Serve what can be served: after a release, a key or egress change, a new lane. */
  pump(): void {
    if (this.#pumping) {
      this.#pumpAgain = true
      return
    }
    this.#pumping = true
    let served = false
    try {
      do {
        this.#pumpAgain = false
        for (let waiter = this.#constrained.peek(); waiter !== null; ) {
          const next = waiter.next
          const attempt = this.#attemptFor(waiter)
          if (attempt !== null) {
            this.#constrained.remove(waiter)
            this.#settle(waiter, attempt)
            served = true
          }
          waiter = next
        }
        for (let head = this.#queue.peek(); head !== null; head = this.#queue.peek()) {
          const attempt = this.#attemptFor(head)
          if (attempt === null) break
          this.#queue.take(head)
          this.#settle(head, attempt)
          served = true
        }
      } while (this.#pumpAgain)
    } finally {
      this.#pumping = false
    }
    if (served) {
      if (this.size === 0) this.#stopTimer()
      this.#options.changed()
    }
  }

  /** The refusal an ordinary request would get now; null when some lane could serve it. */
  refusalNow(): Refusal | null {
    const attempt = this.#evaluate({}, this.#options.clock.now(), false)
    return attempt.kind === 'refused' ? attempt.refusal : null
  }

  status(): Pick<DispatchStatus, 'queued' | 'queueMax' | 'oldestWaitMs'> {
    const oldest = this.#oldestEnqueuedAt()
    const now = this.#options.clock.now()
    return {
      queued: this.size,
      queueMax: this.#options.queueMax,
      oldestWaitMs: Number.isFinite(oldest) ? Math.max(0, Math.round(now - oldest)) : 0,
    }
  }

  /** Waiters pinned to `laneId` (checks of its keys). */
  pinnedTo(laneId: number): number {
    let count = 0
    for (let waiter = this.#constrained.peek(); waiter !== null; waiter = waiter.next) {
      if (waiter.options.keyId === undefined) continue
      const key = this.#options.lanes.laneForKey(waiter.options.keyId, this.#options.clock.now())
      if (key?.id === laneId) count += 1
    }
    return count
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#stopTimer()
    const hadWaiters = this.size > 0
    for (let head = this.#constrained.peek(); head !== null; head = this.#constrained.peek()) {
      this.#leave(head, this.#constrained, new ShuttingDown())
    }
    for (let head = this.#queue.oldest(); head !== null; head = this.#queue.oldest()) {
      this.#leave(head, this.#queue, new ShuttingDown())
    }
    if (hadWaiters) this.#options.changed()
  }

  /** The waiter's attempt now; null when it must wait (it stays where it is). */
  #attemptFor(waiter: Waiter): Exclude<Attempt, { kind: 'wait' }> | null {
    const attempt = this.#attempt(waiter.options, this.#options.clock.now() - waiter.enqueuedAt)
    return attempt.kind === 'wait' ? null : attempt
  }

  /** A waiter taken out of its list gets its lease or its refusal. */
  #settle(waiter: Waiter, attempt: Exclude<Attempt, { kind: 'wait' }>): void {
    waiter.options.signal?.removeEventListener('abort', waiter)
    if (attempt.kind === 'granted') waiter.resolve(attempt.lease)
    else waiter.reject(attempt.error)
  }

  #attempt(options: LeaseOptions & Partial<KeyLeaseOptions>, waitedMs: number): Attempt {
    const time = this.#options.clock.now()
    const evaluation = this.#evaluate(options, time, true)
    if (evaluation.kind === 'wait') return evaluation
    if (evaluation.kind === 'refused') {
      return { kind: 'failed', error: refusalError(evaluation.refusal, time) }
    }
    if (options.stillWanted && !options.stillWanted()) {
      return { kind: 'failed', error: new CheckNotNeeded() }
    }
    const { lane, decision } = evaluation
    return { kind: 'granted', lease: this.#grant(lane, decision, waitedMs, options.model) }
  }

  /** `claim`: a request is being served (keys new to a lane are claimed), not a status view. */
  #evaluate(
    options: LeaseOptions & Partial<KeyLeaseOptions>,
    time: number,
    claim: boolean,
  ):
    | { kind: 'ok'; lane: Lane; decision: Exclude<KeyDecision, Refusal> }
    | { kind: 'wait' }
    | { kind: 'refused'; refusal: Refusal } {
    const { lanes } = this.#options
    const { keyId, exclude } = options
    const model = options.model ? options.model : undefined
    let best: { lane: Lane; decision: Exclude<KeyDecision, Refusal> } | undefined
    let busy = false
    const refusals: LaneRefusal[] = []
    const consider = (lane: Lane, verdict: LaneVerdict | null) => {
      if (verdict === null) return
      if (verdict.kind === 'busy') busy = true
      else if (verdict.kind === 'refused') refusals.push(verdict.refusal)
      else if (best === undefined || lane.lastGrantSeq < best.lane.lastGrantSeq) {
        best = { lane, decision: verdict.decision }
      }
    }
    // A lane the request left still says why (it went down, or upstream blocked its IP).
    const left = (lane: Lane) => {
      const verdict = lanes.egressVerdict(lane, time)
      if (verdict?.kind === 'refused') refusals.push(verdict.refusal)
    }
    if (keyId !== undefined) {
      const lane = lanes.laneForKey(keyId, time)
      if (lane !== undefined) {
        if (exclude?.has(lane.id)) left(lane)
        else consider(lane, lanes.keyVerdict(lane, keyId, time))
      }
    } else {
      for (const lane of lanes.active()) {
        if (exclude?.has(lane.id)) left(lane)
        else consider(lane, lanes.verdict(lane, time, model, claim))
      }
    }
    if (best !== undefined) return { kind: 'ok', ...(best as NonNullable<typeof best>) }
    if (busy) return { kind: 'wait' }
    return { kind: 'refused', refusal: combineRefusals(refusals) }
  }

  #grant(
    lane: Lane,
    decision: Exclude<KeyDecision, Refusal>,
    waitedMs: number,
    model: string | null | undefined,
  ): Lease {
    lane.inFlight += 1
    this.#grants += 1
    lane.lastGrantSeq = this.#grants
    const state: LeaseState = {
      released: false,
      lane,
      heldSince: this.#options.clock.now(),
      dispatcher: lane.egress.dispatcher,
      model: model ? model : undefined,
    }
    const lease = new LaneLease(this.#context, state, waitedMs, decision, () => this.#free(state))
    this.#leakDetector.register(lease, state, state)
    this.#options.changed()
    return lease
  }

  #free(state: LeaseState): void {
    if (state.released) return
    state.released = true
    this.#leakDetector.unregister(state)
    const { lane } = state
    lane.inFlight -= 1
    const heldMs = this.#options.clock.now() - state.heldSince
    this.#averageHoldMs =
      this.#averageHoldMs === null
        ? heldMs
        : this.#averageHoldMs + HOLD_AVERAGE_WEIGHT * (heldMs - this.#averageHoldMs)
    this.#options.lanes.dropIfIdle(lane)
    this.pump()
    this.#options.changed()
  }

  readonly #abandon = (waiter: Waiter): void => {
    if (!waiter.listed) return
    this.#leave(
      waiter,
      waiter.constrained ? this.#constrained : this.#queue,
      waiter.options.signal?.reason,
    )
    if (this.size === 0) this.#stopTimer()
    this.#options.changed()
  }

  #leave(waiter: Waiter, list: { remove(waiter: Waiter): void }, reason: unknown): void {
    list.remove(waiter)
    waiter.options.signal?.removeEventListener('abort', waiter)
    waiter.reject(reason)
  }

  #armTimer(): void {
    if (this.#cancelTimer !== null) return
    const oldest = this.#oldestEnqueuedAt()
    if (!Number.isFinite(oldest)) return
    const deadline = oldest + this.#options.queueTimeoutMs
    this.#cancelTimer = this.#options.clock.setTimer(
      this.#expire,
      deadline - this.#options.clock.now(),
    )
  }

  #stopTimer(): void {
    this.#cancelTimer?.()
    this.#cancelTimer = null
  }

  /** The timer may fire for a head that has left since; then it just moves on to the new head. */
  readonly #expire = (): void => {
    this.#cancelTimer = null
    const time = this.#options.clock.now()
    let expired = 0
    const timeout = this.#options.queueTimeoutMs
    for (let head = this.#queue.oldest(); head !== null; head = this.#queue.oldest()) {
      if (head.enqueuedAt + timeout > time) break
      this.#leave(head, this.#queue, new QueueTimeout(timeout))
      expired += 1
    }
    for (let head = this.#constrained.peek(); head !== null; head = this.#constrained.peek()) {
      if (head.enqueuedAt + timeout > time) break
      this.#leave(head, this.#constrained, new QueueTimeout(timeout))
      expired += 1
    }
    this.#armTimer()
    if (expired > 0) this.#options.changed()
  }

  /** When the longest waiter arrived; +Infinity when nobody waits. */
  #oldestEnqueuedAt(): number {
    const plain = this.#queue.oldest()?.enqueuedAt ?? Number.POSITIVE_INFINITY
    const constrained = this.#constrained.peek()?.enqueuedAt ?? Number.POSITIVE_INFINITY
    return Math.min(plain, constrained)
  }

  /**
   * Roughly when one queue place frees: the average hold time spread over the slots. A client
   * key's own place frees only when its turn comes: once in `turns` grants.
   */
  #queueFullRetrySeconds(turns = 1): number {
    if (this.#averageHoldMs === null) return QUEUE_FULL_DEFAULT_RETRY_SECONDS
    let slots = 0
    for (const lane of this.#options.lanes.active()) {
      if (lane.egress.state() !== 'disabled') slots += lane.concurrency
    }
    const seconds = retryAfterSeconds((turns * this.#averageHoldMs) / Math.max(1, slots))
    return Math.min(QUEUE_FULL_MAX_RETRY_SECONDS, seconds)
  }
}
