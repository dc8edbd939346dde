import type { CurrentKeyState, KeySelection } from '@sfp/key-pool'
import { describeCurrentKey, type Explanation, type ExplanationParams } from '@sfp/schemas'
import {
  DatabaseUnavailable,
  EgressBlocked,
  KeySwitchGuard,
  ModelUnavailable,
  NoAvailableEgress,
  NoAvailableKey,
  RateLimited,
  retryAfterSeconds,
  withRetryAfter,
} from './errors.js'
import type { SwitchGuardService, SwitchVerdict } from './switch-guard.js'

/** Why nothing may be sent upstream now; the same codes as the errors and `status().blocked`. */
export type RefusalCode =
  | 'key_switch_guard'
  | 'rate_limited'
  | 'no_available_key'
  | 'no_available_egress'
  | 'egress_blocked'
  | 'database_unavailable'

/** `retryAt`: when asking again may succeed, ms since the epoch; null when unknown. */
export type Refusal = {
  kind: 'refuse'
  code: RefusalCode
  message: string
  retryAt: number | null
  /** The same as a code the dashboard translates (the message is for API clients). */
  explanation: Explanation
}

type GuardSubject = ExplanationParams<'guard_holds'>['subject']
type CurrentView = { keyId: number; status: string } | null
const currentView = (current: CurrentKeyState | null): CurrentView =>
  current === null ? null : { keyId: current.keyId, status: current.status }

/** What a lane's next attempt should do, decided without side effects (status() uses it too). */
export type KeyDecision =
  | { kind: 'keep'; keyId: number }
  /** `reason` goes into the pool's `switch` key event; `fromKeyId` null for the lane's first key. */
  | { kind: 'switch'; keyId: number; fromKeyId: number | null; reason: Explanation }
  | Refusal

type Guard = Pick<SwitchGuardService, 'check' | 'minutes'>

const iso = (ms: number) => new Date(ms).toISOString()

const HOW_TO_SWITCH_SOONER =
  'To switch sooner set KEY_SWITCH_POLICY=immediate or lower KEY_SWITCH_GUARD_MINUTES, ' +
  'or activate a key in the dashboard.'

/**
 * The key pool proposes (`select`), the lane's switch guard disposes. A switch inside the guard
 * window under the `wait` policy is refused: with 429 while the lane's key is only cooling (the
 * client's usual rate-limit backoff fits), with 503 key_switch_guard otherwise.
 */
export function decideKey(
  selection: KeySelection,
  guard: Guard,
  now: number,
  laneId: number,
): KeyDecision {
  switch (selection.kind) {
    case 'current': {
      const verdict = guard.check(selection.keyId, now)
      // The lane's key is not the one last sent through it: still a switch.
      if (verdict.kind === 'switch-in-window' && !verdict.allowed) {
        const why = `key #${selection.keyId} while key #${verdict.fromKeyId} was used last`
        const subject: GuardSubject = {
          kind: 'key',
          keyId: selection.keyId,
          lastKeyId: verdict.fromKeyId,
        }
        return guardRefusal(why, subject, verdict.windowEndsAt, guard, now, laneId)
      }
      return { kind: 'keep', keyId: selection.keyId }
    }
    case 'switch': {
      const { keyId, current, forModel } = selection
      const verdict = guard.check(keyId, now)
      // The lane's key serves, only not this model: under `wait` the window holds as for any
      // switch, with words naming the model; `immediate` lets the lane move, as it would for a
      // dead key (the operator chose switching over waiting).
      if (forModel !== undefined && verdict.kind === 'switch-in-window' && !verdict.allowed) {
        const why = `moving from key #${verdict.fromKeyId} (which upstream refused model ${forModel}) to key #${keyId}`
        const subject: GuardSubject = {
          kind: 'move',
          fromKeyId: verdict.fromKeyId,
          toKeyId: keyId,
          current: currentView(current),
        }
        const howToGoOn = `Another egress whose key may use ${forModel} serves it meanwhile; or activate key #${keyId} in the dashboard.`
        return guardRefusal(why, subject, verdict.windowEndsAt, guard, now, laneId, howToGoOn)
      }
      if (verdict.kind === 'switch-in-window' && !verdict.allowed) {
        if (current?.status === 'cooling') {
          const retryAt = Math.min(
            current.cooldownUntil ?? verdict.windowEndsAt,
            verdict.windowEndsAt,
          )
          return coolingRefusal(current, retryAt, verdict.windowEndsAt)
        }
        const why = `moving from key #${verdict.fromKeyId} to key #${keyId} (${describeCurrentKey(current)})`
        const subject: GuardSubject = {
          kind: 'move',
          fromKeyId: verdict.fromKeyId,
          toKeyId: keyId,
          current: currentView(current),
        }
        return guardRefusal(why, subject, verdict.windowEndsAt, guard, now, laneId)
      }
      const fromKeyId = current?.keyId ?? (verdict.kind === 'same' ? null : verdict.fromKeyId)
      const reason = switchReason(keyId, fromKeyId, current, verdict, guard, laneId)
      return { kind: 'switch', keyId, fromKeyId, reason }
    }
    case 'none': {
      const { current, retryAt, blockedFor } = selection
      if (blockedFor !== undefined && retryAt === null) return modelRefusal(blockedFor)
      if (current?.status === 'cooling') {
        return coolingRefusal(current, current.cooldownUntil ?? retryAt, null)
      }
      const when =
        retryAt === null
          ? 'add a key or enable one in the dashboard'
          : `the next key becomes usable at ${iso(retryAt)}`
      return {
        kind: 'refuse',
        code: 'no_available_key',
        message: `No upstream key is usable now (${describeCurrentKey(current)}); ${when}.`,
        retryAt,
        explanation: {
          code: 'no_usable_key',
          params: { current: currentView(current), nextAt: retryAt === null ? null : iso(retryAt) },
        },
      }
    }
  }
}

/** The refusal of a use of another key inside a lane's window; `howToGoOn` ends the message. */
export function guardRefusal(
  why: string,
  subject: GuardSubject,
  windowEndsAt: number,
  guard: Pick<Guard, 'minutes'>,
  now: number,
  laneId: number,
  howToGoOn?: string,
): Refusal {
  const seconds = retryAfterSeconds(windowEndsAt - now)
  return {
    kind: 'refuse',
    code: 'key_switch_guard',
    message:
      `The key-switch guard of egress #${laneId} holds back ${why}: two different keys used ` +
      `from one IP within ${guard.minutes} minutes risk a ban by SiliconFlow. The window ends ` +
      `at ${iso(windowEndsAt)} (in ${seconds} s). ${howToGoOn ?? HOW_TO_SWITCH_SOONER}`,
    retryAt: windowEndsAt,
    explanation: {
      code: 'guard_holds',
      params: {
        egressId: laneId,
        minutes: guard.minutes,
        windowEndsAt: iso(windowEndsAt),
        subject,
        hint: howToGoOn === undefined ? 'switch_sooner' : 'override_first',
      },
    },
  }
}

/**
 * No key will ever serve `model` here: upstream refused it to every key that could serve. Answered
 * with 403 (like the upstream's own refusal) and words saying it is the model, not the client key.
 */
function modelRefusal(model: string): Refusal {
  return {
    kind: 'refuse',
    code: 'no_available_key',
    message:
      `No upstream key may use model ${model}: SiliconFlow refused it (HTTP 403) to every key ` +
      'that could serve, while their balance was fine (real-name verification, or the access ' +
      "rules of the model's tier). Use another model, or add a key that may use it.",
    retryAt: null,
    explanation: { code: 'model_unavailable', params: { model } },
  }
}

function coolingRefusal(
  current: CurrentKeyState,
  retryAt: number | null,
  windowEndsAt: number | null,
): Refusal {
  const until = current.cooldownUntil === null ? '' : ` until ${iso(current.cooldownUntil)}`
  const guard =
    windowEndsAt === null
      ? ''
      : ` Switching to another key is held back by the key-switch guard until ${iso(windowEndsAt)}.`
  return {
    kind: 'refuse',
    code: 'rate_limited',
    message: `Key #${current.keyId} is rate-limited by SiliconFlow${until}.${guard}`,
    retryAt,
    explanation: {
      code: 'key_cooling',
      params: {
        keyId: current.keyId,
        until: current.cooldownUntil === null ? null : iso(current.cooldownUntil),
        guardUntil: windowEndsAt === null ? null : iso(windowEndsAt),
      },
    },
  }
}

function switchReason(
  keyId: number,
  from: number | null,
  current: CurrentKeyState | null,
  verdict: SwitchVerdict,
  guard: Guard,
  laneId: number,
): Explanation {
  return {
    code: 'key_switch',
    params: {
      egressId: laneId,
      fromKeyId: from,
      toKeyId: keyId,
      current: current === null ? null : { keyId: current.keyId, status: current.status },
      guardMinutes: verdict.kind === 'switch-in-window' ? guard.minutes : null,
    },
  }
}

/** The error a refusal is answered with, with Retry-After when a time is known. */
export function refusalError(refusal: Refusal, now: number) {
  const error =
    refusal.code === 'key_switch_guard'
      ? new KeySwitchGuard(refusal.message)
      : refusal.code === 'rate_limited'
        ? new RateLimited(refusal.message)
        : refusal.code === 'no_available_key'
          ? refusal.explanation.code === 'model_unavailable'
            ? new ModelUnavailable(refusal.message)
            : new NoAvailableKey(refusal.message)
          : refusal.code === 'egress_blocked'
            ? new EgressBlocked(refusal.message)
            : refusal.code === 'database_unavailable'
              ? new DatabaseUnavailable(refusal.message)
              : new NoAvailableEgress(refusal.message)
  // The message as a code, for an error answer the dashboard translates (see `Refusal`).
  Object.assign(error, { explanation: refusal.explanation })
  return refusal.retryAt === null || !Number.isFinite(refusal.retryAt)
    ? error
    : withRetryAfter(error, (refusal.retryAt - now) / 1000)
}
