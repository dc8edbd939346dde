import { and, desc, eq, type SQL } from 'drizzle-orm'
import type { Db } from './database.js'
import { type KeyEventRow, keyEvents, type NewKeyEventRow } from './schema.js'

export interface KeyEventsRepository {
  append(event: NewKeyEventRow): void
  /** Newest first. */
  list(filter: { keyId?: number | undefined; limit: number }): KeyEventRow[]
}

export function createKeyEventsRepository(db: Db): KeyEventsRepository {
  return {
    append(event) {
      db.insert(keyEvents).values(event).run()
    },
    list({ keyId, limit }) {
      const where: SQL[] = []
      if (keyId !== undefined) where.push(eq(keyEvents.keyId, keyId))
      return db
        .select()
        .from(keyEvents)
        .where(and(...where))
        .orderBy(desc(keyEvents.id))
        .limit(limit)
        .all()
    },
  }
}
