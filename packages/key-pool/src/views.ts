import type { KeyEventRow, UpstreamKeyRow } from '@sfp/db'
import { estimatedBalance, type KeyEventView, type KeyView, readExplanation } from '@sfp/schemas'

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString())

/**
 * A key as the API shows it: the mask computed at insert, never the secret, so listing a large
 * pool decrypts nothing and costs a few date conversions per key.
 */
export function toKeyView(row: UpstreamKeyRow, isCurrent: boolean): KeyView {
  return {
    id: row.id,
    label: row.label,
    maskedKey: row.maskedKey,
    status: row.status,
    isCurrent,
    balance: row.balance,
    balanceCheckedAt: iso(row.balanceCheckedAt),
    spent: row.spent,
    estimatedBalance: estimatedBalance(row.balance, row.spent),
    callCount: row.callCount,
    errorCount: row.errorCount,
    consecutiveErrors: row.consecutiveErrors,
    lastError: row.lastError,
    lastErrorDetail: readExplanation(row.lastErrorDetail),
    lastUsedAt: iso(row.lastUsedAt),
    cooldownUntil: iso(row.cooldownUntil),
    rateLimitClass: row.rateLimitClass,
    blockedModels: row.blockedModels ?? [],
    createdAt: new Date(row.createdAt).toISOString(),
    egressId: row.egressId,
  }
}

export function toKeyEventView(row: KeyEventRow): KeyEventView {
  return {
    id: row.id,
    time: new Date(row.time).toISOString(),
    keyId: row.keyId,
    type: row.type,
    fromStatus: row.fromStatus,
    toStatus: row.toStatus,
    reason: row.reason,
    explanation: readExplanation(row.explanation),
  }
}
