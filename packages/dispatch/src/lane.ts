import type { EgressLane } from '@sfp/egress'
import type { SwitchGuardService } from './switch-guard.js'

/**
 * One egress at work: its own slots (`inFlight` of `concurrency`), its own key (the one last
 * sent through it: the guard's memory) and its own switch guard. The dispatch's lane set owns it.
 */
export class Lane {
  inFlight = 0
  /** Order of the last grant: the least recently busy lane is served first. */
  lastGrantSeq = 0
  /** Calls in flight per key: a lane never has two keys out at once. */
  readonly callsByKey = new Map<number, number>()
  /** The egress was deleted: no new leases; dropped once its calls are over. */
  removed = false

  constructor(
    readonly egress: EgressLane,
    readonly guard: SwitchGuardService,
    readonly concurrency: number,
  ) {}

  get id(): number {
    return this.egress.id
  }

  /** The lane's key: the one last sent through it. */
  currentKeyId(): number | null {
    return this.guard.memory().lastUsedKeyId
  }

  /** Calls in flight with a key other than `keyId`. */
  callsWithOtherKeys(keyId: number): number {
    let calls = 0
    for (const [key, count] of this.callsByKey) if (key !== keyId) calls += count
    return calls
  }
}
