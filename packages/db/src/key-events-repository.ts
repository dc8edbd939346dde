import { and, desc, eq, type SQL } from 'drizzle-orm'
import type { Db } from './database.js'
import { type KeyEventRow, keyEvents, type NewKeyEventRow } from './schema.js'

export interface KeyEventsRepository {
  append(event: NewKeyEventRow): void
  /** Many events in one transaction (bulk imports and deletes). */
  appendMany(events: readonly NewKeyEventRow[]): void
  /** Newest first. */
  list(filter: { keyId?: number | undefined; limit: number }): KeyEventRow[]
}

export function createKeyEventsRepository(db: Db): KeyEventsRepository {
  // Raw and prepared once: a bulk import appends one event per key, 10,000 in one transaction.
  const insert = db.$client.prepare(
    'INSERT INTO key_events (time, key_id, type, from_status, to_status, reason, explanation) VALUES (?, ?, ?, ?, ?, ?, ?)',
  )
  const insertAll = db.$client.transaction((events: readonly NewKeyEventRow[]) => {
    for (const e of events) {
      insert.run(
        e.time,
        e.keyId ?? null,
        e.type,
        e.fromStatus ?? null,
        e.toStatus ?? null,
        e.reason,
        e.explanation == null ? null : JSON.stringify(e.explanation),
      )
    }
  })
  return {
    append(event) {
      db.insert(keyEvents).values(event).run()
    },
    appendMany(events) {
      if (events.length > 0) insertAll(events)
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
