import type { LaneFence, UpstreamKeyRow } from '@sfp/db'
import type {
  AddKeysBody,
  AddKeysResponse,
  Explanation,
  KeyStatus,
  KeyView,
  ListKeysQuery,
  ListKeysResponse,
  PatchKeyBody,
  PoolStatus,
} from '@sfp/schemas'
import type { Dispatcher } from 'undici'

/**
 * The key pool's public surface: what the admin routes, the dispatch plugin and the proxy may
 * call. Fixed before the implementation so the three can be built side by side.
 */

/** What one upstream attempt came to, as the proxy classified it (docs/behaviour.md §4). */
export type AttemptOutcome =
  /** 2xx: resets the failure count, makes the key `active`. */
  | { kind: 'success' }
  /** 400/404/413/422 and other client mistakes, and client disconnects: the key is untouched. */
  | { kind: 'clientError'; status: number | null }
  /** 401: confirmed with /v1/user/info (or /v1/models) before the key is marked `invalid`. */
  | { kind: 'unauthorized' }
  /**
   * 402/403: the balance decides between `insufficient` and passing the error through; a 403
   * for `model` (the request body's) with the balance fine blocks that model for the key only.
   */
  | { kind: 'forbidden'; status: number; model?: string | null }
  /**
   * 429: `cooling` until the end of the hour or the China day when `message` names such a limit,
   * else until Retry-After, else an escalating 30 s, 60 s, 120 s ... capped at 15 min.
   */
  | { kind: 'rateLimited'; retryAfterMs: number | null; message?: string | null }
  /** 5xx (busy codes 50508/50603 included). */
  | { kind: 'upstreamError'; status: number; message: string | null }
  /** No usable answer: connect failure, reset, timeout. `code` is undici's `UND_ERR_*` or errno. */
  | { kind: 'networkError'; code: string }

export interface OutcomeVerdict {
  /** The key's state after the outcome. */
  status: KeyStatus
  /** The key cannot serve now: the caller should move to another key if the guard allows. */
  moveOn: boolean
  /** Upstream refused this model to the key (now in its `blockedModels`); it serves the rest. */
  blockedModel?: string
}

/** Where one upstream call goes out: the lane's undici dispatcher (absent: the pool's own). */
export interface UpstreamCall {
  signal: AbortSignal
  dispatcher?: Dispatcher | undefined
}

/**
 * Runs one upstream call made with key `keyId` through that key's own egress lane, holding one of
 * its slots and obeying its switch guard. The dispatch plugin installs it; until then the pool
 * calls upstream directly (tests, tools).
 */
export type UpstreamGate = <T>(
  keyId: number,
  task: (call: UpstreamCall) => Promise<T>,
  signal?: AbortSignal,
  /**
   * Asked once the slot is held, before anything is sent or recorded: false drops the call
   * with CheckNotNeeded (a background check whose key stopped being the one in use).
   */
  stillWanted?: () => boolean,
) => Promise<T>

/** A key's binding to an egress lane, as selection reads it. */
export type KeyBinding = Pick<UpstreamKeyRow, 'id' | 'egressId' | 'egressUsedAt'>

/**
 * One egress lane, as key selection sees it: the key it uses, and from when each key may be sent
 * through it (a key used through another lane waits KEY_SWITCH_GUARD_MINUTES after its last use
 * there).
 */
export interface LaneKeys {
  /** The egress id of the lane. */
  id: number
  /** The key the lane uses (the one last sent through it), or null. */
  currentKeyId: number | null
  /** ms since the epoch from when `key` may go through this lane; 0 (or any past time): now. */
  availableAt(key: KeyBinding): number
}

/**
 * The keys the egress lanes are using, as the dispatch plugin tells the pool: for `isCurrent`,
 * `status().currentKeyId` and the background checks, which only ever probe keys in use.
 */
export interface KeysInUse {
  has(id: number): boolean
  all(): Iterable<number>
  /** The key of the built-in direct lane (or else the first lane). */
  primary(): number | null
}

/** The key in use and why it can or cannot serve. */
export interface CurrentKeyState {
  keyId: number
  status: KeyStatus
  /** For `cooling` and `error`: when it is a candidate again (ms since the epoch). */
  cooldownUntil: number | null
}

/** Which key a lane's next upstream attempt should use, before its switch guard has its say. */
export type KeySelection =
  /** The lane's key is usable: keep it. */
  | { kind: 'current'; keyId: number }
  /**
   * The lane's key is gone or unusable (or there is none yet): this one would replace it. With
   * `forModel`: the lane's key serves, but upstream refused it the request's model.
   */
  | { kind: 'switch'; keyId: number; current: CurrentKeyState | null; forModel?: string }
  /**
   * Nothing is usable on this lane. `retryAt`: when the earliest key becomes a candidate (a
   * cooldown ends, or a key of another lane has rested long enough); null when none will.
   * `blockedFor`: the request's model, when keys were passed over only because upstream refused
   * them that model.
   */
  | {
      kind: 'none'
      current: CurrentKeyState | null
      retryAt: number | null
      blockedFor?: string
    }

export type PoolChangeListener = () => void

export interface KeyPool {
  list(query: ListKeysQuery): ListKeysResponse
  view(id: number): KeyView | undefined
  status(): PoolStatus
  /** The row itself, read-only (dispatch reads bindings and states); undefined when unknown. */
  row(id: number): Readonly<UpstreamKeyRow> | undefined
  /** Every row, creation order, read-only. */
  rows(): Iterable<Readonly<UpstreamKeyRow>>

  /** Bulk import (one transaction); invalid entries are reported masked. */
  add(body: AddKeysBody): Promise<AddKeysResponse>
  remove(ids: readonly number[]): Promise<{ removed: number[]; notFound: number[] }>
  /** Throws the package's NotFound for an unknown id. */
  update(id: number, patch: PatchKeyBody): KeyView
  /**
   * Make the key `active` again (re-enabling it, failure counts reset) and record the admin's
   * `override` event with `reason`. The dispatch plugin makes it a lane's key: call it there.
   */
  activate(id: number, reason: Explanation): KeyView
  /** Balance and validity now, through the upstream gate. */
  check(id: number, signal?: AbortSignal): Promise<KeyView>
  /** Every key in plain text, one per line, creation order: the only way keys leave. */
  exportText(): string

  /**
   * A lane's next key. Never touches the database or upstream: O(1) while its key stays usable.
   * With `model`, keys upstream refused that model are never proposed.
   */
  select(lane: LaneKeys, now?: number, model?: string): KeySelection
  /**
   * Lane `egressId` takes key `id` at `time`: the binding is written through, and a `switch`
   * key event with `reason` is recorded when `reason` is given.
   */
  bind(id: number, egressId: number, time: number, reason?: Explanation): void
  /**
   * An answer through key `id` cost `cny` by the price table: added to its `spent` (written
   * behind with the usage counters); an unknown key is ignored.
   */
  addSpend(id: number, cny: number): void
  /** The egress was deleted: its keys belong to no lane (their last use stays recorded). */
  unbindEgress(egressId: number): void
  /** The key itself, for the Authorization header of an upstream call. */
  secret(id: number): string
  /**
   * Apply an attempt's outcome. Call it while still holding that attempt's dispatch slot: the
   * confirmation calls it makes (401/403/threshold) go upstream within that slot, not the gate,
   * through `via` (the lane's dispatcher: a key is only ever checked through its own lane).
   */
  report(id: number, outcome: AttemptOutcome, via?: Dispatcher): Promise<OutcomeVerdict>

  useUpstreamGate(gate: UpstreamGate): void
  /**
   * Cluster mode (docs/behaviour.md §9): the lease of each lane this instance holds, or
   * undefined. From then on a key is bound to a lane only under that lane's lease, and the
   * binding is written fenced by it.
   */
  useLaneFences(fences: (egressId: number) => LaneFence | undefined): void
  useKeysInUse(keys: KeysInUse): void
  /** Called (synchronously, cheaply) after any change a status view would show. */
  onChange(listener: PoolChangeListener): () => void
  /**
   * Cluster mode: read every key row again (docs/behaviour.md §9: another instance added,
   * deleted or changed keys); this instance's unwritten changes stay on top.
   */
  reload(): Promise<void>
  /** Write the queued row changes and key events now (before telling other instances). */
  flush(): Promise<void>
  /**
   * Keys changed here (state, binding, fields; not usage counters), added or deleted since the
   * last call: what other instances must read again (cluster mode).
   */
  takeLocalChanges(): number[]
  /** Stop timers and wait for background checks to settle. */
  stop(): Promise<void>
  /**
   * Resolves when the background balance checks running now have settled (tests, tools).
   * Optional so that existing implementations of this interface stay valid.
   */
  settled?(): Promise<void>
}

/** What `createKeyPool` returns: the pool, with `settled` always there. */
export interface KeyPoolService extends KeyPool {
  settled(): Promise<void>
}

/** Where the pool logs. It logs key ids and codes only, never a key. */
export interface KeyPoolLog {
  info(fields: object, message: string): void
  warn(fields: object, message: string): void
}
