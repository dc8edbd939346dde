import type { AttemptOutcome, OutcomeVerdict } from '@sfp/key-pool'
import type {
  DispatchStatus,
  ExplanationOf,
  KeySwitchPolicy,
  LaneStatus,
  SwitchGuardStatus,
} from '@sfp/schemas'
import type { Dispatcher } from 'undici'

/**
 * The dispatch plugin's public surface: the one owner of an upstream call's life (README
 * "Egress lanes"). A caller takes a lease (a slot of one lane and that lane's key, chosen under
 * its switch guard), makes its calls through the lease's dispatcher, tells the lease how each
 * ended, and releases it. The proxy and the key pool's balance checks both go through leases.
 */

export interface SwitchGuard {
  /** `keyId` goes upstream through this lane now: a key other than the last one is a switch. */
  recordUse(keyId: number): void
  /**
   * A call with `keyId` ended now: extends the window of the lane's key; the end of a call of a
   * key the lane has left since changes nothing.
   */
  recordEnd(keyId: number): void
  /** The admin made `keyId` the lane's key: allowed inside the window, recorded as an override. */
  recordOverride(keyId: number): void
  status(): Omit<SwitchGuardStatus, 'currentKeyId' | 'blocked'>
  policy: KeySwitchPolicy
}

export interface LeaseOptions {
  /** Aborting it (the client left) takes the waiter out of the queue at once. */
  signal?: AbortSignal | undefined
  /** Lanes this request may not use (their way out failed for it, or they refused its IP). */
  exclude?: ReadonlySet<number> | undefined
  /**
   * The client key the request came with (null or absent: none). Waiters are served round-robin
   * across client keys, and one key may hold only its CLIENT_QUEUE_SHARE of the queue.
   */
  clientKeyId?: number | null | undefined
  /**
   * The model the request names: lanes only serve it with a key upstream has not refused it to
   * (a key's `blockedModels`), and never switch their key for it inside the guard window.
   */
  model?: string | null | undefined
}

/** A lease for one key on its own lane (a balance or validity check of that key). */
export interface KeyLeaseOptions extends LeaseOptions {
  keyId: number
  /**
   * Asked once the slot is held, before anything is sent or recorded: false drops the lease with
   * the key pool's CheckNotNeeded (a background check whose key stopped being in use).
   */
  stillWanted?: (() => boolean) | undefined
}

/**
 * Why an attempt through a lane failed that is the lane's fault, not the key's: the way out failed
 * (`egress_down`: proxy refused, 407, SOCKS refusal, tunnel or TLS not established), or upstream
 * answered with one of EGRESS_BLOCK_CODES (`egress_blocked`: this IP is blocked).
 */
export type EgressFailure = ExplanationOf<'egress_down'> | ExplanationOf<'egress_blocked'>

/** A slot of one lane and the key to use through it, until `release()`. */
export interface Lease {
  /** The egress id of the lane. */
  readonly laneId: number
  /** How long the caller waited in the queue, ms. */
  readonly waitedMs: number
  /** The key for the next attempt; changes with `switchKey()`. */
  readonly keyId: number
  readonly secret: string
  /** True when the lane switched keys for this lease (its first key or a `switchKey`). */
  readonly switched: boolean
  /** The lane's undici dispatcher: every call of this lease goes out through it. */
  readonly dispatcher: Dispatcher
  /**
   * A call with the current key goes upstream now (a retry): the guard records the use. The
   * lease's first call, and the first after `switchKey()`, are begun already; calling it again
   * while a call is open does nothing.
   */
  beginCall(): void
  /**
   * The upstream call with the current key is over: the lane's guard hears it, then the key pool
   * (whose confirmation checks go out through this lane). Resolves with the pool's verdict.
   */
  end(outcome: AttemptOutcome): Promise<OutcomeVerdict>
  /**
   * The call failed through no fault of the key: the egress goes `down` or `blocked`, the key's
   * state and counters stay as they are. Release the lease and take another, excluding this lane.
   */
  failEgress(failure: EgressFailure): void
  /** Whether `error` of a call through this lease's lane is the way out's failure. */
  isWayOutFailure(error: unknown): boolean
  /** Whether an upstream error body says this egress's IP is blocked (EGRESS_BLOCK_CODES). */
  isBlockAnswer(body: Buffer | null): boolean
  /**
   * After `end` said the key should move on: another key on this lane, under its guard, with its
   * first call begun. Returns false when the chooser keeps the same key (or the lane's other calls
   * still use it); throws the dispatch's refusal (KeySwitchGuard, RateLimited, NoAvailableKey)
   * when no other key may be used now.
   */
  switchKey(): boolean
  /** Give the slot back. Idempotent. */
  release(): void
}

/**
 * Which lanes this process may send through (docs/behaviour.md §9). In single mode all of them;
 * in cluster mode those whose lease it holds (and whose rows it has read since taking it).
 * Asked on every grant: synchronous, no database round trip.
 */
export interface LaneHolding {
  /** INSTANCE_ID: the driver of every lane this process holds. */
  readonly instanceId: string
  holds(laneId: number): boolean
  /**
   * Whether the lane's lease is still good for sending (held, or handed over and draining):
   * asked before each call goes out, so that a grant made just before a stall (a long pause)
   * sends nothing once the lease ran out.
   */
  maySend(laneId: number): boolean
  /**
   * The lease was just taken and the lane's rows are being read: requests wait for it rather
   * than being refused.
   */
  gaining(laneId: number): boolean
  /** The instance that drives the lane now, as last seen; null when nobody does. */
  driverOf(laneId: number): string | null
  /** False while this instance cannot renew its leases (PostgreSQL unreachable). */
  databaseReachable(): boolean
  /** When a request refused for want of a held lane may try again (ms since the epoch). */
  retryAt(now: number): number
  /**
   * The lane is about to send a key that is not bound to it yet: true when it may (single mode;
   * cluster mode once the key is claimed for the lane in the database, so two instances never
   * take one key). False while the claim is under way: the dispatch is pumped when it settles.
   */
  claimKey(laneId: number, keyId: number): boolean
  /** Until when a key is another lane's, as a refused claim found (0 when not known so). */
  keyTakenUntil(keyId: number): number
}

export type DispatchChangeListener = () => void

/** A lane changed its key (admin activations are overrides, not switches). */
export interface KeySwitchEvent {
  laneId: number
  /** The lane's key before; null for its very first key. */
  fromKeyId: number | null
  toKeyId: number
}

export type KeySwitchListener = (event: KeySwitchEvent) => void

export interface DispatchStatusView {
  /** Totals over every lane; `queued` and `oldestWaitMs` are the one queue's. */
  dispatch: DispatchStatus
  /** The built-in direct lane's (else the first lane's); `blocked` is the refusal a request would get now. */
  switchGuard: SwitchGuardStatus
  egresses: LaneStatus[]
}

export interface Dispatch {
  /**
   * A lease on the lane that can serve first: one queue in front of every lane, round-robin
   * across client keys and first in first out within one. Rejects with QueueFull (the whole
   * queue, or the client key's share of it), QueueTimeout, ShuttingDown, the signal's reason (the client left), or the
   * refusal when no lane can serve now or later (KeySwitchGuard, RateLimited, NoAvailableKey,
   * NoAvailableEgress, EgressBlocked), with Retry-After where a time is known.
   */
  lease(options?: LeaseOptions): Promise<Lease>
  /** A lease for one key on its own lane (balance and validity checks): invariant 4. */
  leaseKey(options: KeyLeaseOptions): Promise<Lease>
  /**
   * The admin makes key `keyId` the key of its lane now (an unbound key: the built-in direct
   * lane's, or the first usable lane's): the one override of the switch guard, recorded.
   * Returns the lane's id, or null when there is no lane at all.
   */
  activate(keyId: number): number | null
  status(): DispatchStatusView
  /** Called after any change the status would show (slots, queue, guards, lanes, keys). */
  onChange(listener: DispatchChangeListener): () => void
  /** Called after a lane switched keys (for the key switch counter of /metrics). */
  onSwitch(listener: KeySwitchListener): () => void
  /** Serve the waiters again: something they wait for changed outside the dispatch's sight. */
  serve(): void
  /** Cluster mode: which lanes this process may send through (until then: all of them). */
  useLaneHolding(holding: LaneHolding): void
  /**
   * Cluster mode: the lane was just taken (its rows read again): its guard starts from the
   * stored memory, and waiters are served.
   */
  laneGained(laneId: number): void
  /**
   * Resolves once the lane has no call in flight (a hand-over). When `signal` aborts first, the
   * lane is cut: what is still in flight is aborted.
   */
  drain(laneId: number, signal: AbortSignal): Promise<void>
  /** Stop sending through the lane at once, aborting its calls in flight (its lease lapsed). */
  cut(laneId: number): void
}
