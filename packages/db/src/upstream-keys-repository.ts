import { asc, eq, inArray } from 'drizzle-orm'
import type { Db } from './database.js'
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
}

/** SQLite allows 32766 bound parameters; stay well under it per statement. */
const CHUNK = 500

export function createUpstreamKeysRepository(db: Db): UpstreamKeysRepository {
  return {
    all() {
      return db.select().from(upstreamKeys).orderBy(asc(upstreamKeys.id)).all()
    },
    insertMany(rows) {
      return db.transaction((tx) => {
        const inserted: UpstreamKeyRow[] = []
        for (let start = 0; start < rows.length; start += CHUNK) {
          const chunk = rows.slice(start, start + CHUNK)
          inserted.push(
            ...tx.insert(upstreamKeys).values(chunk).onConflictDoNothing().returning().all(),
          )
        }
        return inserted.sort((a, b) => a.id - b.id)
      })
    },
    update(id, patch) {
      db.update(upstreamKeys).set(patch).where(eq(upstreamKeys.id, id)).run()
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
  }
}
