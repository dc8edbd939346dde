import type { UpstreamKeyPatch, UpstreamKeyRow } from '@sfp/db'
import type { KeyCheck } from './balance-client.js'
import { shortError } from './error-text.js'
import type { KeyStore } from './key-store.js'

/** The settings the rules read (CONTRACT §2), times in milliseconds. */
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

export function describeCheck(check: KeyCheck): string {
  switch (check.kind) {
    case 'balance': {
      const { accountStatus: status } = check
      const restricted = status !== null && status !== 'normal'
      return `balance ${check.totalBalance}${restricted ? `, account status "${status.slice(0, 40)}"` : ''}`
    }
    case 'invalid':
      return `invalid: ${check.evidence}`
    case 'unknown':
      return `balance unknown (${check.reason})`
  }
}

export function isLowBalance(check: KeyCheck, rules: PoolRules): boolean {
  return check.kind === 'balance' && check.totalBalance < rules.lowBalanceThreshold
}

/** What any check teaches about the balance, whatever else the caller decides. */
export function balancePatch(check: KeyCheck, time: number): UpstreamKeyPatch {
  return check.kind === 'balance' ? { balance: check.totalBalance, balanceCheckedAt: time } : {}
}

/**
 * An account status other than `normal` is written down but changes no state: what the other
 * values mean is not confirmed (SILICONFLOW.md), and a wrong guess would take good keys away.
 */
function accountNote(check: KeyCheck): string | undefined {
  if (check.kind !== 'balance' || check.accountStatus === null) return undefined
  if (check.accountStatus === 'normal') return undefined
  return shortError(
    `account status "${check.accountStatus.slice(0, 40)}" reported by /v1/user/info`,
  )
}

/**
 * A check the pool made on its own or for the admin (not a request's confirmation): a low
 * balance makes the key `insufficient`, a confirmed 401 `invalid`, and a key found fine again
 * leaves `invalid`/`insufficient`. `disabled` stays disabled whatever upstream says.
 * @see CONTRACT §4 "Balance"
 */
export function applyCheckVerdict(
  { store, rules, now }: RuleContext,
  id: number,
  check: KeyCheck,
  trigger: string,
): UpstreamKeyRow {
  const key = store.require(id)
  const patch = balancePatch(check, now())
  const note = accountNote(check)
  if (note !== undefined && note !== key.lastError) {
    patch.lastError = note
    store.record({ keyId: id, type: 'check', reason: `${trigger}: ${note}` })
  }
  const reason = `${trigger}: ${describeCheck(check)}`
  const fine = check.kind === 'balance' || (check.kind === 'unknown' && check.valid)
  if (key.status === 'disabled') return store.patch(id, patch)
  if (check.kind === 'invalid') return store.transition(id, 'invalid', reason, patch)
  if (isLowBalance(check, rules)) return store.transition(id, 'insufficient', reason, patch)
  const revived =
    (key.status === 'insufficient' && check.kind === 'balance') ||
    (key.status === 'invalid' && fine)
  if (revived) return store.transition(id, 'active', reason, { ...patch, cooldownUntil: null })
  return store.patch(id, patch)
}
