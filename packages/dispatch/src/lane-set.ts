import type { EgressLane, EgressService } from '@sfp/egress'
import type { KeyBinding, KeyPool, LaneKeys } from '@sfp/key-pool'
import type { Clock } from '@sfp/runtime'
import type { Explanation, KeySwitchPolicy } from '@sfp/schemas'
import { decideKey, guardRefusal, type KeyDecision, type Refusal } from './key-chooser.js'
import { Lane } from './lane.js'
import type { LaneRefusal } from './refusals.js'
import { createSwitchGuard } from './switch-guard.js'
import type { LaneHolding } from './types.js'

export interface LaneSetDeps {
  egress: Pick<EgressService, 'lanes' | 'guardMemory' | 'saveGuardMemory' | 'onChange'>
  pool: Pick<KeyPool, 'select' | 'bind' | 'row' | 'rows'>
  concurrency: number
  guardMinutes: number
  policy: KeySwitchPolicy
  clock: Clock
  reportError: (error: unknown) => void
  /** After a lane's guard changed (its key, its window). */
  onGuardChange: () => void
  /** Which lanes this process may send through (all of them in single mode). */
  holding: () => LaneHolding
}

/** What a lane could do for one waiter now. */
export type LaneVerdict =
  | { kind: 'ok'; decision: Exclude<KeyDecision, Refusal> }
  /** It could serve once a slot (or the calls of its previous key) is over. */
  | { kind: 'busy' }
  | { kind: 'refused'; refusal: LaneRefusal }

/**
 * Every egress as a lane, and the rules that tie keys to lanes (README "Egress lanes"):
 * a key belongs to the lane that last took it (`egressId`), is never in flight on two lanes, and
 * only moves to another lane KEY_SWITCH_GUARD_MINUTES after its last use on its own.
 */
export class LaneSet {
  readonly #deps: LaneSetDeps
  readonly #windowMs: number
  readonly #lanes = new Map<number, Lane>()
  /** Calls in flight per key, and the lane they go through. */
  readonly #keyCalls = new Map<number, { laneId: number; calls: number }>()

  constructor(deps: LaneSetDeps) {
    this.#deps = deps
    this.#windowMs = deps.guardMinutes * 60_000
    this.sync()
  }

  /** Follow the egresses: a lane for each new one; deleted ones leave once their calls end. */
  sync(): void {
    const present = new Set<number>()
    for (const egress of this.#deps.egress.lanes()) {
      present.add(egress.id)
      if (!this.#lanes.has(egress.id)) this.#lanes.set(egress.id, this.#newLane(egress))
    }
    for (const lane of this.#lanes.values()) {
      if (present.has(lane.id)) continue
      lane.removed = true
      this.dropIfIdle(lane)
    }
  }

  #newLane(egress: EgressLane): Lane {
    const { egress: service } = this.#deps
    const guard = createSwitchGuard({
      minutes: this.#deps.guardMinutes,
      policy: this.#deps.policy,
      clock: this.#deps.clock,
      store: {
        load: () => service.guardMemory(egress.id),
        save: (memory, time, urgent) => service.saveGuardMemory(egress.id, memory, time, urgent),
      },
      reportError: this.#deps.reportError,
    })
    guard.onChange(this.#deps.onGuardChange)
    return new Lane(egress, guard, this.#deps.concurrency)
  }

  dropIfIdle(lane: Lane): void {
    if (!lane.removed || lane.inFlight > 0) return
    lane.guard.close()
    this.#lanes.delete(lane.id)
  }

  /** Whether this process drives the lane (always in single mode). */
  held(lane: Lane): boolean {
    return this.#deps.holding().holds(lane.id)
  }

  /**
   * Cluster mode: the lane was taken over from another instance, whose guard memory (and the
   * lane's key) is on the row just read again: the guard starts from it.
   */
  reloadGuard(id: number): void {
    const lane = this.#lanes.get(id)
    if (lane === undefined) return
    lane.guard.reload()
    // A key is claimed for the lane (its binding written) before its first call, the guard
    // memory only after: a holder that died in between left the binding as the later word.
    let latest: { keyId: number; at: number } | undefined
    for (const key of this.#deps.pool.rows()) {
      if (key.egressId !== id || key.egressUsedAt === null) continue
      if (latest === undefined || key.egressUsedAt > latest.at) {
        latest = { keyId: key.id, at: key.egressUsedAt }
      }
    }
    if (latest !== undefined) lane.guard.adopt(latest.keyId, latest.at)
  }

  /** Lanes that take new leases (not deleted), in creation order. */
  *active(): IterableIterator<Lane> {
    for (const lane of this.#lanes.values()) if (!lane.removed) yield lane
  }

  get(id: number): Lane | undefined {
    const lane = this.#lanes.get(id)
    return lane?.removed ? undefined : lane
  }

  /**
   * What the top-level status shows: the built-in direct lane, else the first enabled lane, else
   * the first lane.
   */
  primary(): Lane | undefined {
    let enabled: Lane | undefined
    let first: Lane | undefined
    for (const lane of this.active()) {
      const disabled = lane.egress.state() === 'disabled'
      if (lane.egress.builtin && !disabled) return lane
      if (!disabled) enabled ??= lane
      first ??= lane
    }
    return enabled ?? first
  }

  /** When `key` may go through `lane`: now (0) if it is the lane's own or has rested elsewhere. */
  availableAt(lane: Lane, key: KeyBinding): number {
    const calls = this.#keyCalls.get(key.id)
    if (calls !== undefined && calls.laneId !== lane.id) return Number.POSITIVE_INFINITY
    if (this.#windowMs <= 0 || key.egressId === lane.id) return 0
    const taken = this.#deps.holding().keyTakenUntil(key.id)
    if (taken > 0) return taken
    const owner = key.egressId === null ? undefined : this.#lanes.get(key.egressId)
    const memory = owner?.guard.memory()
    const onOwner = memory?.lastUsedKeyId === key.id ? (memory.lastUsedAt ?? 0) : 0
    const lastUse = Math.max(key.egressUsedAt ?? 0, onOwner)
    return lastUse === 0 ? 0 : lastUse + this.#windowMs
  }

  #laneKeys(lane: Lane): LaneKeys {
    return {
      id: lane.id,
      currentKeyId: lane.currentKeyId(),
      availableAt: (key) => this.availableAt(lane, key),
    }
  }

  /** The lane's key decision now (for a request naming `model`), without side effects. */
  decide(lane: Lane, now: number, model?: string): KeyDecision {
    const selection = this.#deps.pool.select(this.#laneKeys(lane), now, model)
    return decideKey(selection, lane.guard, now, lane.id)
  }

  /**
   * A key the lane would send for the first time must be claimed for it first (cluster mode):
   * until then the lane is busy for it.
   */
  #unclaimed(lane: Lane, keyId: number): boolean {
    if (this.#deps.pool.row(keyId)?.egressId === lane.id) return false
    return !this.#deps.holding().claimKey(lane.id, keyId)
  }

  /**
   * What `lane` could do for an ordinary request (naming `model`) now. `claim`: the request is
   * being served (not a status view), so a key new to the lane is claimed for it.
   */
  verdict(lane: Lane, now: number, model?: string, claim = false): LaneVerdict | null {
    const out = this.egressVerdict(lane, now)
    if (out !== undefined) return out
    const decision = this.decide(lane, now, model)
    if (decision.kind === 'refuse') {
      return { kind: 'refused', refusal: { kind: 'key', laneId: lane.id, refusal: decision } }
    }
    const full = lane.inFlight >= lane.concurrency
    // A lane never sends a second key while calls with another are in flight: one IP, one key.
    const overlapping = decision.kind === 'switch' && lane.inFlight > 0
    if (full || overlapping) return { kind: 'busy' }
    if (claim && this.#unclaimed(lane, decision.keyId)) return { kind: 'busy' }
    return { kind: 'ok', decision }
  }

  /** What the key's own lane could do for a check of key `keyId` now (invariant 4). */
  keyVerdict(lane: Lane, keyId: number, now: number): LaneVerdict | null {
    const out = this.egressVerdict(lane, now)
    if (out !== undefined) return out
    const key = this.#deps.pool.row(keyId)
    const refuse = (refusal: Refusal): LaneVerdict => ({
      kind: 'refused',
      refusal: { kind: 'key', laneId: lane.id, refusal },
    })
    const hint = `Make key #${keyId} the key in use first (an admin override), or set KEY_SWITCH_POLICY=immediate.`
    if (key) {
      const availableAt = this.availableAt(lane, key)
      if (availableAt > now) {
        const why = `a check of key #${keyId}, used through another egress moments ago`
        const subject = { kind: 'elsewhere', keyId } as const
        return refuse(guardRefusal(why, subject, availableAt, lane.guard, now, lane.id, hint))
      }
    }
    const verdict = lane.guard.check(keyId, now)
    if (verdict.kind === 'switch-in-window' && !verdict.allowed) {
      const why = `a balance check of key #${keyId} while key #${verdict.fromKeyId} is the one last used`
      const subject = { kind: 'check', keyId, lastKeyId: verdict.fromKeyId } as const
      return refuse(
        guardRefusal(why, subject, verdict.windowEndsAt, lane.guard, now, lane.id, hint),
      )
    }
    const switching = verdict.kind !== 'same'
    if (lane.inFlight >= lane.concurrency || (switching && lane.inFlight > 0))
      return { kind: 'busy' }
    if (this.#unclaimed(lane, keyId)) return { kind: 'busy' }
    const decision: Exclude<KeyDecision, Refusal> = switching
      ? {
          kind: 'switch',
          keyId,
          fromKeyId: verdict.fromKeyId,
          reason: { code: 'check_switch', params: { egressId: lane.id, keyId } },
        }
      : { kind: 'keep', keyId }
    return { kind: 'ok', decision }
  }

  /**
   * The egress's own refusal (down, blocked, driven by another instance), null when disabled,
   * undefined when it is up and this process drives it.
   */
  egressVerdict(lane: Lane, now: number): LaneVerdict | null | undefined {
    const state = lane.egress.state(now)
    if (state === 'disabled') return null
    const holding = this.#deps.holding()
    if (!holding.holds(lane.id)) {
      if (holding.gaining(lane.id)) return { kind: 'busy' }
      const reason = holding.databaseReachable() ? 'elsewhere' : 'database'
      const { instanceId } = holding
      const retryAt = holding.retryAt(now)
      return {
        kind: 'refused',
        refusal: { kind: 'not_held', laneId: lane.id, instanceId, reason, retryAt },
      }
    }
    if (state === 'up') return undefined
    const refusal: LaneRefusal = {
      kind: 'egress',
      laneId: lane.id,
      state,
      backAt: lane.egress.backAt(),
      reason: lane.egress.reason(),
    }
    return { kind: 'refused', refusal }
  }

  /** The lane a check or an activation of key `keyId` goes through: its own, else a free one. */
  laneForKey(keyId: number, now: number): Lane | undefined {
    const key = this.#deps.pool.row(keyId)
    const own = key?.egressId == null ? undefined : this.get(key.egressId)
    if (own !== undefined) return own
    let fallback: Lane | undefined
    for (const lane of this.active()) {
      const state = lane.egress.state(now)
      if (state !== 'up' || !this.held(lane)) continue
      const verdict = lane.guard.check(keyId, now)
      if (verdict.kind !== 'switch-in-window') {
        if (lane.egress.builtin || lane.currentKeyId() === null) return lane
        fallback ??= lane
      }
    }
    return fallback ?? this.activationLane()
  }

  /** An unbound key is activated on the built-in direct lane, else on the first usable lane. */
  activationLane(): Lane | undefined {
    let firstEnabled: Lane | undefined
    let firstUp: Lane | undefined
    for (const lane of this.active()) {
      const state = lane.egress.state()
      if (state === 'disabled' || !this.held(lane)) continue
      if (lane.egress.builtin) return lane
      if (state === 'up') firstUp ??= lane
      firstEnabled ??= lane
    }
    return firstUp ?? firstEnabled
  }

  /**
   * `lane` takes key `keyId` now (a switch or an admin override): the key it leaves keeps the
   * time of its last use here, and the new key is bound to the lane, both written through.
   */
  bind(lane: Lane, keyId: number, reason?: Explanation): void {
    const { pool } = this.#deps
    const { now } = this.#deps.clock
    const memory = lane.guard.memory()
    const left = memory.lastUsedKeyId
    if (left !== null && left !== keyId && memory.lastUsedAt !== null) {
      if (pool.row(left)?.egressId === lane.id) pool.bind(left, lane.id, memory.lastUsedAt)
    }
    pool.bind(keyId, lane.id, now(), reason)
  }

  callStarted(lane: Lane, keyId: number): void {
    lane.callsByKey.set(keyId, (lane.callsByKey.get(keyId) ?? 0) + 1)
    const calls = this.#keyCalls.get(keyId)
    if (calls === undefined) this.#keyCalls.set(keyId, { laneId: lane.id, calls: 1 })
    else calls.calls += 1
    lane.guard.recordUse(keyId)
  }

  callEnded(lane: Lane, keyId: number): void {
    const onLane = (lane.callsByKey.get(keyId) ?? 1) - 1
    if (onLane > 0) lane.callsByKey.set(keyId, onLane)
    else lane.callsByKey.delete(keyId)
    const calls = this.#keyCalls.get(keyId)
    if (calls !== undefined) {
      calls.calls -= 1
      if (calls.calls <= 0) this.#keyCalls.delete(keyId)
    }
    if (lane.currentKeyId() === keyId) {
      lane.guard.recordEnd(keyId)
    } else if (this.#deps.pool.row(keyId)?.egressId === lane.id) {
      // The lane left this key while the call was out: the key's own last use, for rule 3.
      this.#deps.pool.bind(keyId, lane.id, this.#deps.clock.now())
    }
  }

  close(): void {
    for (const lane of this.#lanes.values()) lane.guard.close()
  }
}
