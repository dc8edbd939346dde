import { asc, eq, sql } from 'drizzle-orm'
import type { Db } from './database.js'
import { type ClientKeyRow, clientKeys } from './schema.js'

export interface ClientKeyUsage {
  requests: number
  lastUsedAt: number
}

export interface ClientKeysRepository {
  all(): ClientKeyRow[]
  /** The key with this hash, if any. */
  findByHash(keyHash: string): ClientKeyRow | undefined
  insert(row: {
    name: string
    keyHash: string
    prefix: string
    createdAt: number
    /** Null (made here) unless given: `siliconflowProxy` for the imported old secret. */
    origin?: ClientKeyRow['origin']
  }): ClientKeyRow
  remove(id: number): boolean
  /** Add request counts and last-use times gathered since the previous flush. */
  recordUsage(usage: ReadonlyMap<number, ClientKeyUsage>): void
}

export function createClientKeysRepository(db: Db): ClientKeysRepository {
  return {
    all() {
      return db.select().from(clientKeys).orderBy(asc(clientKeys.id)).all()
    },
    findByHash(keyHash) {
      return db.select().from(clientKeys).where(eq(clientKeys.keyHash, keyHash)).get()
    },
    insert(row) {
      return db.insert(clientKeys).values(row).returning().get()
    },
    remove(id) {
      return db.delete(clientKeys).where(eq(clientKeys.id, id)).run().changes > 0
    },
    recordUsage(usage) {
      if (usage.size === 0) return
      db.transaction((tx) => {
        for (const [id, { requests, lastUsedAt }] of usage) {
          tx.update(clientKeys)
            .set({
              requestCount: sql`${clientKeys.requestCount} + ${requests}`,
              lastUsedAt: sql`max(coalesce(${clientKeys.lastUsedAt}, 0), ${lastUsedAt})`,
            })
            .where(eq(clientKeys.id, id))
            .run()
        }
      })
    },
  }
}
