/**
 * Watches the calls reaching the look-alike upstream for what egress lanes must never do, as
 * seen from the upstream's side: a source address (one lane) running too many calls at once,
 * switching keys too soon, or a key showing up from a second source too soon. Fed with request
 * start/end events and a clock, so it can be tested without sockets.
 */

export interface InvariantOptions {
  /** A key must rest this long (ms) before its source uses another key, or it moves source. */
  guardWindowMs: number
  /** Calls one source may have open at once. */
  concurrency: number
}

export type ViolationKind = 'concurrency' | 'keySwitch' | 'keyMove'

export interface Violation {
  kind: ViolationKind
  /** Clock time of the offending arrival. */
  at: number
  /** Source address of the offending request. */
  source: string
  /** The offending request's key, masked: first 6 characters and '…'. */
  key: string
  /** keyMove: the source the key was (or still is) active from. */
  otherSource?: string
  /** keySwitch: the other key (masked) that was active from this source. */
  otherKey?: string
  /** Time since the conflicting key was last active; 0 while it is still in flight. */
  gapMs: number
}

export interface InvariantViolations {
  concurrency: Violation[]
  keySwitch: Violation[]
  keyMove: Violation[]
  total: number
}

/** One key used from one source: requests in flight and when it was last active. */
interface KeyActivity {
  source: string
  key: string
  inFlight: number
  /** max(last arrival, last end). */
  lastActive: number
}

export function maskKey(key: string): string {
  return `${key.slice(0, 6)}…`
}

export class InvariantMonitor {
  readonly #options: InvariantOptions
  readonly #now: () => number
  /** source -> key -> activity, and the same records key -> source -> activity. */
  readonly #bySource = new Map<string, Map<string, KeyActivity>>()
  readonly #byKey = new Map<string, Map<string, KeyActivity>>()
  readonly #openPerSource = new Map<string, number>()
  readonly #requestsPerSource = new Map<string, number>()
  #violations: Violation[] = []

  constructor(options: InvariantOptions, now: () => number = Date.now) {
    this.#options = options
    this.#now = now
  }

  /**
   * A request has arrived (headers read). Requests without a key are only counted per source:
   * the upstream refuses them at once and no lane would send one. Returns the call to make when
   * the request ends (finished or aborted); calling it more than once is harmless.
   */
  requestStarted(source: string, key: string | undefined): () => void {
    this.#requestsPerSource.set(source, (this.#requestsPerSource.get(source) ?? 0) + 1)
    if (key === undefined) return () => {}
    const at = this.#now()
    this.#check(source, key, at)

    const activity = this.#activity(source, key)
    activity.inFlight += 1
    activity.lastActive = at
    this.#openPerSource.set(source, (this.#openPerSource.get(source) ?? 0) + 1)
    let ended = false
    return () => {
      if (ended) return
      ended = true
      activity.inFlight -= 1
      activity.lastActive = Math.max(activity.lastActive, this.#now())
      this.#openPerSource.set(source, (this.#openPerSource.get(source) ?? 1) - 1)
    }
  }

  violations(): InvariantViolations {
    const of = (kind: ViolationKind) => this.#violations.filter((v) => v.kind === kind)
    return {
      concurrency: of('concurrency'),
      keySwitch: of('keySwitch'),
      keyMove: of('keyMove'),
      total: this.#violations.length,
    }
  }

  /** Forget the violations seen so far (not what is in flight or recently active). */
  resetViolations(): void {
    this.#violations = []
  }

  /** Requests received per source address, keyless ones included. */
  sources(): Map<string, number> {
    return new Map(this.#requestsPerSource)
  }

  #check(source: string, key: string, at: number): void {
    const open = this.#openPerSource.get(source) ?? 0
    if (open >= this.#options.concurrency) {
      this.#violations.push({ kind: 'concurrency', at, source, key: maskKey(key), gapMs: 0 })
    }
    const otherKey = this.#closestConflict(this.#bySource.get(source), key, at)
    if (otherKey) {
      const { activity, gapMs } = otherKey
      const other = maskKey(activity.key)
      this.#violations.push({
        kind: 'keySwitch',
        at,
        source,
        key: maskKey(key),
        otherKey: other,
        gapMs,
      })
    }
    const otherSource = this.#closestConflict(this.#byKey.get(key), source, at)
    if (otherSource) {
      const { activity, gapMs } = otherSource
      const from = activity.source
      this.#violations.push({
        kind: 'keyMove',
        at,
        source,
        key: maskKey(key),
        otherSource: from,
        gapMs,
      })
    }
  }

  /**
   * Among `activities` other than `self`, the one in flight or active most recently within the
   * guard window: one violation per rule per request, however many others conflict.
   */
  #closestConflict(
    activities: Map<string, KeyActivity> | undefined,
    self: string,
    at: number,
  ): { activity: KeyActivity; gapMs: number } | undefined {
    let closest: { activity: KeyActivity; gapMs: number } | undefined
    for (const [name, activity] of activities ?? []) {
      if (name === self) continue
      const gapMs = activity.inFlight > 0 ? 0 : at - activity.lastActive
      if (gapMs >= this.#options.guardWindowMs) continue
      if (!closest || gapMs < closest.gapMs) closest = { activity, gapMs }
    }
    return closest
  }

  #activity(source: string, key: string): KeyActivity {
    const existing = this.#bySource.get(source)?.get(key)
    if (existing) return existing
    const activity: KeyActivity = { source, key, inFlight: 0, lastActive: 0 }
    const keys = this.#bySource.get(source) ?? new Map<string, KeyActivity>()
    keys.set(key, activity)
    this.#bySource.set(source, keys)
    const sources = this.#byKey.get(key) ?? new Map<string, KeyActivity>()
    sources.set(source, activity)
    this.#byKey.set(key, sources)
    return activity
  }
}
