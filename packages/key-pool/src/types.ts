import type {
  AddKeysBody,
  AddKeysResponse,
  KeyStatus,
  KeyView,
  ListKeysQuery,
  ListKeysResponse,
  PatchKeyBody,
  PoolStatus,
} from '@sfp/schemas'

/**
 * The key pool's public surface: what the admin routes, the dispatch plugin and the proxy may
 * call. Fixed before the implementation so the three can be built side by side.
 */

/** What one upstream attempt came to, as the proxy classified it (CONTRACT §4). */
export type AttemptOutcome =
  /** 2xx: resets the failure count, makes the key `active`. */
  | { kind: 'success' }
  /** 400/404/413/422 and other client mistakes, and client disconnects: the key is untouched. */
  | { kind: 'clientError'; status: number | null }
  /** 401: confirmed with /v1/user/info (or /v1/models) before the key is marked `invalid`. */
  | { kind: 'unauthorized' }
  /** 402/403: the balance decides between `insufficient` and passing the error through. */
  | { kind: 'forbidden'; status: number }
  /** 429: `cooling` until Retry-After, else an escalating 30 s, 60 s, 120 s ... capped at 15 min. */
  | { kind: 'rateLimited'; retryAfterMs: number | null }
  /** 5xx (busy codes 50508/50603 included). */
  | { kind: 'upstreamError'; status: number; message: string | null }
  /** No usable answer: connect failure, reset, timeout. `code` is undici's `UND_ERR_*` or errno. */
  | { kind: 'networkError'; code: string }

export interface OutcomeVerdict {
  /** The key's state after the outcome. */
  status: KeyStatus
  /** The key cannot serve now: the caller should move to another key if the guard allows. */
  moveOn: boolean
}

/**
 * Runs one upstream call made with key `keyId` while holding a dispatch slot. The dispatch plugin
 * installs it; until then the pool calls upstream directly (tests, tools).
 */
export type UpstreamGate = <T>(
  keyId: number,
  task: (signal: AbortSignal) => Promise<T>,
  signal?: AbortSignal,
  /**
   * Asked once the slot is held, before anything is sent or recorded: false drops the call
   * with CheckNotNeeded (a background check whose key stopped being the one in use).
   */
  stillWanted?: () => boolean,
) => Promise<T>

/** The key in use and why it can or cannot serve. */
export interface CurrentKeyState {
  keyId: number
  status: KeyStatus
  /** For `cooling` and `error`: when it is a candidate again (ms since the epoch). */
  cooldownUntil: number | null
}

/** Which key the next upstream attempt should use, before the switch guard has its say. */
export type KeySelection =
  /** The key in use is usable: keep it. */
  | { kind: 'current'; keyId: number }
  /** The key in use is gone or unusable (or there is none yet): this one would replace it. */
  | { kind: 'switch'; keyId: number; current: CurrentKeyState | null }
  /** Nothing is usable. `retryAt`: when the earliest cooling/error key becomes a candidate. */
  | { kind: 'none'; current: CurrentKeyState | null; retryAt: number | null }

export type PoolChangeListener = () => void
export type KeyActivatedListener = (keyId: number) => void

export interface KeyPool {
  list(query: ListKeysQuery): ListKeysResponse
  view(id: number): KeyView | undefined
  status(): PoolStatus
  currentKeyId(): number | null

  /** Bulk import (one transaction); invalid entries are reported masked. */
  add(body: AddKeysBody): AddKeysResponse
  remove(ids: readonly number[]): { removed: number[]; notFound: number[] }
  /** Throws the package's NotFound for an unknown id. */
  update(id: number, patch: PatchKeyBody): KeyView
  /** Make this the key in use now (re-enabling it); recorded as an `override` key event. */
  activate(id: number): KeyView
  /** Balance and validity now, through the upstream gate. */
  check(id: number, signal?: AbortSignal): Promise<KeyView>
  /** Every key in plain text, one per line, creation order: the only way keys leave. */
  exportText(): string

  /** Never touches the database or upstream: O(1) while the key in use stays usable. */
  select(now?: number): KeySelection
  /** Make `id` the key in use (written through; recorded as a `switch` key event). */
  setCurrent(id: number, reason: string): void
  /** The key itself, for the Authorization header of an upstream call. */
  secret(id: number): string
  /**
   * Apply an attempt's outcome. Call it while still holding that attempt's dispatch slot: the
   * confirmation calls it makes (401/403/threshold) go upstream within that slot, not the gate.
   */
  report(id: number, outcome: AttemptOutcome): Promise<OutcomeVerdict>

  useUpstreamGate(gate: UpstreamGate): void
  /** Called (synchronously, cheaply) after any change a status view would show. */
  onChange(listener: PoolChangeListener): () => void
  /** Called after `activate`: the dispatch plugin records it as a switch-guard override. */
  onActivate(listener: KeyActivatedListener): () => void
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
