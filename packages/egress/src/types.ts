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

  useLaneInfo(info: LaneInfo): void
  onChange(listener: EgressChangeListener): () => void
  /** Stop timers, write pending counters, close every dispatcher (waiting for requests in flight). */
  close(): Promise<void>
}
