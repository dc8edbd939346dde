import { asc, eq, inArray } from 'drizzle-orm'
import type { Db } from './database.js'
import { createPatchWriter } from './patch-writer.js'
import { type NewUpstreamKeyRow, type UpstreamKeyRow, upstreamKeys } from './schema.js'

export type UpstreamKeyPatch = Partial<Omit<UpstreamKeyRow, 'id' | 'secret' | 'fingerprint'>>

/** Storage of the key pool. The pool keeps its working copy in memory and writes through here. */
export interface UpstreamKeysRepository {
  /** Every key, in creation order. */
  all(): UpstreamKeyRow[]
  /** Insert in one transaction; rows whose fingerprint already exists are skipped. */
  insertMany(rows: NewUpstreamKeyRow[]): UpstreamKeyRow[]
  update(id: number, patch: UpstreamKeyPatch): void
  remove(ids: readonly number[]): number
  /**
   * Rewrite stored secrets and fingerprints in one transaction (encryption at rest turned on),
   * leaving no copy of the old values in free pages or the WAL.
   */
  replaceSecrets(rows: readonly { id: number; secret: string; fingerprint: string }[]): void
}

/** SQLite allows 32766 bound parameters; stay well under it per statement. */
const CHUNK = 500

/**
 * The row a new key is stored as: the caller's fields, and where the caller gives nothing (or
 * an explicit `undefined`, as in Drizzle inserts) the columns' defaults in schema.ts. Spelled out
 * field by field: this runs 10,000 times in one transaction for a bulk import, and generic
 * object copying cost three times the SQLite work there.
 */
function storedRow(given: NewUpstreamKeyRow): UpstreamKeyRow {
  return {
    id: 0,
    secret: given.secret,
    fingerprint: given.fingerprint,
    maskedKey: given.maskedKey,
    label: given.label ?? null,
    status: given.status ?? 'active',
    balance: given.balance ?? null,
    balanceCheckedAt: given.balanceCheckedAt ?? null,
    callCount: given.callCount ?? 0,
    errorCount: given.errorCount ?? 0,
    consecutiveErrors: given.consecutiveErrors ?? 0,
    rateLimitStrikes: given.rateLimitStrikes ?? 0,
    rateLimitClass: given.rateLimitClass ?? null,
    successesSinceCheck: given.successesSinceCheck ?? 0,
    lastError: given.lastError ?? null,
    lastErrorDetail: given.lastErrorDetail ?? null,
    lastUsedAt: given.lastUsedAt ?? null,
    cooldownUntil: given.cooldownUntil ?? null,
    egressId: given.egressId ?? null,
    egressUsedAt: given.egressUsedAt ?? null,
    spent: given.spent ?? null,
    blockedModels: given.blockedModels ?? null,
    createdAt: given.createdAt,
    updatedAt: given.updatedAt,
  }
}

/** Column order of the prepared insert (every column but the id). */
const INSERT_SQL = `INSERT INTO upstream_keys (secret, fingerprint, masked_key, label, status, balance,
  balance_checked_at, call_count, error_count, consecutive_errors, rate_limit_strikes,
  rate_limit_class, successes_since_check, last_error, last_error_detail, last_used_at, cooldown_until, egress_id,
  egress_used_at, spent, blocked_models, created_at, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT DO NOTHING`

export function createUpstreamKeysRepository(db: Db): UpstreamKeysRepository {
  // A raw prepared statement, one run per row inside one transaction: a few microseconds a row,
  // where the query builder costs ~50 µs a row (10,000 keys: a second of blocked event loop).
  const insert = db.$client.prepare(INSERT_SQL)
  const writePatch = createPatchWriter<UpstreamKeyPatch>(db, upstreamKeys)
  const insertAll = db.$client.transaction((rows: readonly NewUpstreamKeyRow[]) => {
    const inserted: UpstreamKeyRow[] = []
    for (const given of rows) {
      const r = storedRow(given)
      const { changes, lastInsertRowid } = insert.run(
        r.secret,
        r.fingerprint,
        r.maskedKey,
        r.label,
        r.status,
        r.balance,
        r.balanceCheckedAt,
        r.callCount,
        r.errorCount,
        r.consecutiveErrors,
        r.rateLimitStrikes,
        r.rateLimitClass,
        r.successesSinceCheck,
        r.lastError,
        r.lastErrorDetail === null ? null : JSON.stringify(r.lastErrorDetail),
        r.lastUsedAt,
        r.cooldownUntil,
        r.egressId,
        r.egressUsedAt,
        r.spent,
        r.blockedModels === null ? null : JSON.stringify(r.blockedModels),
        r.createdAt,
        r.updatedAt,
      )
      // The row as stored: exactly what was bound, plus its new id.
      if (changes > 0) {
        r.id = Number(lastInsertRowid)
        inserted.push(r)
      }
    }
    return inserted
  })
  return {
    all() {
      return db.select().from(upstreamKeys).orderBy(asc(upstreamKeys.id)).all()
    },
    insertMany(rows) {
      return insertAll(rows).sort((a, b) => a.id - b.id)
    },
    update(id, patch) {
      writePatch(id, patch)
    },
    remove(ids) {
      return db.transaction((tx) => {
        let removed = 0
        for (let start = 0; start < ids.length; start += CHUNK) {
          const chunk = ids.slice(start, start + CHUNK)
          removed += tx.delete(upstreamKeys).where(inArray(upstreamKeys.id, chunk)).run().changes
        }
        return removed
      })
    },
    replaceSecrets(rows) {
      // The old values are overwritten with zeros, not just unlinked, and the WAL is folded back
      // into the file at once: no copy of a replaced secret stays in free pages or the WAL.
      const client = db.$client
      const secureDelete = client.pragma('secure_delete', { simple: true })
      client.pragma('secure_delete = ON')
      try {
        db.transaction((tx) => {
          for (const { id, secret, fingerprint } of rows) {
            tx.update(upstreamKeys)
              .set({ secret, fingerprint })
              .where(eq(upstreamKeys.id, id))
              .run()
          }
        })
      } finally {
        client.pragma(`secure_delete = ${Number(secureDelete)}`)
      }
      client.pragma('wal_checkpoint(TRUNCATE)')
    },
  }
}
