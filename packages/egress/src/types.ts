import type { LaneFence } from '@sfp/db'
import type {
  CreateEgressBody,
  EgressCheckResult,
  EgressKind,
  EgressState,
  EgressView,
  ExplanationOf,
  PatchEgressBody,
} from '@sfp/schemas'
import type { Dispatcher } from 'undici'

/** A lane's switch-guard memory, as kept on its egress row (ms since the epoch). */
export interface GuardMemory {
  lastUsedKeyId: number | null
  lastUsedAt: number | null
  lastSwitchAt: number | null
}

/** One egress as the dispatch plugin drives it: a lane. */
export interface EgressLane {
  readonly id: number
  readonly kind: EgressKind
  readonly label: string | null
  /** The built-in direct egress (EGRESS_DIRECT): where unbound keys are activated. */
  readonly builtin: boolean
  /** Replaced when the lane is cut (cluster mode): read it when a call starts. */
  readonly dispatcher: Dispatcher
  /** `up` (usable), `down`, `blocked` or `disabled`, as of `now`. */
  state(now?: number): EgressState
  /** When a `down` or `blocked` egress is tried again; null when not known (disabled, up). */
  backAt(): number | null
  /** Why it is not `up`, short English (no secrets); null when up. */
  reason(): string | null
}

/** What a lane knows at run time, for the egress views (the dispatch plugin provides it). */
export interface LaneInfo {
  of(id: number): {
    currentKeyId: number | null
    nextSwitchAllowedAt: number | null
    inFlight: number
  }
}

/** Told after any change the lanes must follow: added, removed, enabled, state changed. */
export type EgressChangeListener = () => void

export interface EgressService {
  /** Every egress, creation order, including disabled ones. */
  lanes(): readonly EgressLane[]
  lane(id: number): EgressLane | undefined

  list(): EgressView[]
  /** Throws EgressNotFound. */
  view(id: number): EgressView
  /** Throws EgressExists (409) for the same way out twice. */
  create(body: CreateEgressBody): Promise<EgressView>
  update(id: number, patch: PatchEgressBody): EgressView
  /** Throws EgressBuiltin for the built-in direct egress; its keys are unbound. */
  remove(id: number): Promise<void>
  /** A connection to the upstream origin through the egress, sending no key. */
  check(id: number, signal?: AbortSignal): Promise<EgressCheckResult>

  /** Whether an upstream error body names one of EGRESS_BLOCK_CODES. */
  isBlockAnswer(body: Buffer | null): boolean
  /** Whether an error of a request through egress `id` is the way out's (not the key's). */
  isWayOutFailure(id: number, error: unknown): boolean
  /** The way out failed: `down`, tried again with backoff (30 s doubling to 10 min). */
  markDown(id: number, why: ExplanationOf<'egress_down'>): void
  /** Upstream refused this egress's IP: `blocked` for EGRESS_BLOCK_MINUTES. */
  markBlocked(id: number, why: ExplanationOf<'egress_blocked'>): void
  /** An upstream call through it ended; `ok`: an answer came back (any status). */
  recordCall(id: number, ok: boolean): void

  guardMemory(id: number): GuardMemory
  /**
   * Keep a lane's guard memory on its row: in memory at once, in the database within a second
   * or, `urgent` (a change of key), at once.
   */
  saveGuardMemory(id: number, memory: GuardMemory, time: number, urgent: boolean): void

  /**
   * Cluster mode: read every row again (another instance changed them, or a lane was just taken
   * over: its guard memory and state are the previous holder's). Pending writes of this
   * instance stay on top; added and deleted egresses follow; listeners are told.
   */
  reload(): Promise<void>
  /**
   * Cluster mode: this instance may no longer send through the lane (its lease lapsed, or a
   * drain ran out): the lane's dispatcher is destroyed, aborting what is in flight, and a new
   * one takes its place for when the lane is driven here again.
   */
  cut(id: number): void
  /** Whether the lane was cut since `dispatcher` was its dispatcher (an aborted call's cause). */
  wasCut(id: number, dispatcher: Dispatcher): boolean
  /**
   * Cluster mode: asked as each request carrying a key is about to be written to its socket;
   * false refuses it unsent and cuts the lane (its lease ran out while it was connecting).
   */
  useSendGate(gate: (egressId: number) => boolean): void

  /**
   * Cluster mode: the fence of the lease this instance holds on a lane (undefined: none). A
   * lane's switch-guard memory is written under it, or not at all (docs/behaviour.md §9).
   */
  useLaneFences(fenceOf: (egressId: number) => LaneFence | undefined): void
  /** Write the queued row changes now (before telling other instances). */
  flush(): Promise<void>
  /**
   * Egresses changed here (state, admin fields; not counters or guard memory), added or
   * deleted since the last call: what other instances must read again (cluster mode).
   */
  takeLocalChanges(): number[]
  useLaneInfo(info: LaneInfo): void
  onChange(listener: EgressChangeListener): () => void
  /** Stop timers, write pending counters, close every dispatcher (waiting for requests in flight). */
  close(): Promise<void>
}
