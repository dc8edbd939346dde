import type { UpstreamKeyPatch, UpstreamKeyRow } from '@sfp/db'
import { type CheckTrigger, type Explanation, estimatedBalance } from '@sfp/schemas'
import type { KeyCheck } from './balance-client.js'
import { errorFields } from './error-text.js'
import type { KeyStore } from './key-store.js'

/** The settings the rules read (docs/behaviour.md §2), times in milliseconds. */
export interface PoolRules {
  lowBalanceThreshold: number
  autoQueryBalanceAfterCalls: number
  balanceRefreshMs: number
  keyErrorThreshold: number
  keyErrorCooldownMs: number
}

export interface RuleContext {
  store: KeyStore
  rules: PoolRules
  now: () => number
}

/**
 * Whether the key's balance is below LOW_BALANCE_THRESHOLD: the balance the check read, or, when
 * the check could not read one (`/v1/user/info` retired, docs/behaviour.md §11), the estimate:
 * the last known balance minus what was spent through the key since (only once some spend was
 * priced). Returns the explanation of a low estimate, so the key event says it was an estimate.
 */
export function lowBalance(
  check: KeyCheck,
  rules: PoolRules,
  key: Pick<UpstreamKeyRow, 'balance' | 'spent'>,
): false | 'real' | Explanation {
  if (check.kind === 'balance') return check.totalBalance < rules.lowBalanceThreshold && 'real'
  if (check.kind !== 'unknown' || key.spent === null) return false
  const estimate = estimatedBalance(key.balance, key.spent)
  if (estimate === null || estimate >= rules.lowBalanceThreshold) return false
  return {
    code: 'estimated_balance_low',
    params: { estimate, threshold: rules.lowBalanceThreshold },
  }
}

/** What any check teaches about the balance, whatever else the caller decides. */
export function balancePatch(check: KeyCheck, time: number): UpstreamKeyPatch {
  // A balance from upstream already counts what was spent before it: the spend starts again.
  return check.kind === 'balance'
    ? { balance: check.totalBalance, balanceCheckedAt: time, spent: null }
    : {}
}

/**
 * An account status other than `normal` is written down but changes no state: what the other
 * values mean is not confirmed (docs/upstream.md §3), and a wrong guess would take good keys away.
 */
function accountNote(check: KeyCheck, trigger: CheckTrigger): Explanation | undefined {
  if (check.kind !== 'balance' || check.accountStatus === null) return undefined
  if (check.accountStatus === 'normal') return undefined
  const status = check.accountStatus.slice(0, 40)
  return { code: 'account_status', params: { trigger, status } }
}

/**
 * A check the pool made on its own or for the admin (not a request's confirmation): a low
 * balance makes the key `insufficient`, a confirmed 401 `invalid`, and a key found fine again
 * leaves `invalid`/`insufficient`. `disabled` stays disabled whatever upstream says.
 * @see docs/behaviour.md §4 "Balance"
 */
export function applyCheckVerdict(
  { store, rules, now }: RuleContext,
  id: number,
  check: KeyCheck,
  trigger: CheckTrigger,
): UpstreamKeyRow {
  const key = store.require(id)
  const patch = balancePatch(check, now())
  const note = accountNote(check, trigger)
  const noted =
    key.lastErrorDetail?.code === 'account_status' &&
    note?.code === 'account_status' &&
    key.lastErrorDetail.params.status === note.params.status
  if (note !== undefined && !noted) {
    Object.assign(patch, errorFields(note))
    store.record({ keyId: id, type: 'check', explanation: note })
  }
  const reason: Explanation = { code: 'key_check', params: { trigger, check: check.summary } }
  const fine = check.kind === 'balance' || (check.kind === 'unknown' && check.valid)
  // What the check read changes no state here: written behind (a balance check follows every
  // AUTO_QUERY_BALANCE_AFTER_CALLS successes; a write at once each time was ~2 % of the CPU).
  if (key.status === 'disabled') return store.learn(id, patch)
  if (check.kind === 'invalid') return store.transition(id, 'invalid', reason, patch)
  const low = lowBalance(check, rules, key)
  if (low) return store.transition(id, 'insufficient', low === 'real' ? reason : low, patch)
  const revived =
    (key.status === 'insufficient' && check.kind === 'balance') ||
    (key.status === 'invalid' && fine)
  if (revived) return store.transition(id, 'active', reason, { ...patch, cooldownUntil: null })
  return store.learn(id, patch)
}
