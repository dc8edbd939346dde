import { asc, eq } from 'drizzle-orm'
import type { Db } from './database.js'
import { createPatchWriter } from './patch-writer.js'
import { type EgressRow, egresses, type NewEgressRow, upstreamKeys } from './schema.js'

export type EgressPatch = Partial<Omit<EgressRow, 'id' | 'kind' | 'createdAt'>>

/** Storage of the egresses. The egress service keeps its working copy in memory. */
export interface EgressesRepository {
  /** Every egress, in creation order. */
  all(): EgressRow[]
  /** Undefined when an egress with the same identity exists. */
  insert(row: NewEgressRow): EgressRow | undefined
  update(id: number, patch: EgressPatch): void
  /**
   * Delete the egress and unbind its keys in one transaction; `egress_used_at` stays on them,
   * so no other lane sends them within KEY_SWITCH_GUARD_MINUTES of their last use here.
   */
  remove(id: number): boolean
  /** Rewrite stored proxy passwords in one transaction (encryption at rest turned on). */
  replacePasswords(rows: readonly { id: number; password: string }[]): void
}

export function createEgressesRepository(db: Db): EgressesRepository {
  const writePatch = createPatchWriter<EgressPatch>(db, egresses)
  return {
    all() {
      return db.select().from(egresses).orderBy(asc(egresses.id)).all()
    },
    insert(row) {
      return db.insert(egresses).values(row).onConflictDoNothing().returning().get()
    },
    update(id, patch) {
      writePatch(id, patch)
    },
    remove(id) {
      return db.transaction((tx) => {
        tx.update(upstreamKeys).set({ egressId: null }).where(eq(upstreamKeys.egressId, id)).run()
        return tx.delete(egresses).where(eq(egresses.id, id)).run().changes > 0
      })
    },
    replacePasswords(rows) {
      db.transaction((tx) => {
        for (const { id, password } of rows) {
          tx.update(egresses).set({ password }).where(eq(egresses.id, id)).run()
        }
      })
    },
  }
}
