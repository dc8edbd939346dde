import { asc, eq } from 'drizzle-orm'
import type { Db } from './database.js'
import {
  type NewNotificationTargetRow,
  type NotificationTargetRow,
  notificationTargets,
} from './schema.js'

/** What may change on a stored target: everything but its id, kind and creation time. */
export type NotificationTargetPatch = Partial<
  Omit<NotificationTargetRow, 'id' | 'kind' | 'createdAt'>
>

/** The notification targets (a few rows, written by the admin and by delivery outcomes). */
export interface NotificationTargetsRepository {
  /** Every target, in creation order (ascending id). */
  all(): NotificationTargetRow[]
  insert(row: NewNotificationTargetRow): NotificationTargetRow
  /** The patch's defined fields; the row as stored after it, or undefined for an unknown id. */
  update(id: number, patch: NotificationTargetPatch): NotificationTargetRow | undefined
  remove(id: number): boolean
}

export function createNotificationTargetsRepository(db: Db): NotificationTargetsRepository {
  return {
    all() {
      return db.select().from(notificationTargets).orderBy(asc(notificationTargets.id)).all()
    },
    insert(row) {
      return db.insert(notificationTargets).values(row).returning().get()
    },
    update(id, patch) {
      return db
        .update(notificationTargets)
        .set(patch)
        .where(eq(notificationTargets.id, id))
        .returning()
        .get()
    },
    remove(id) {
      return db.delete(notificationTargets).where(eq(notificationTargets.id, id)).run().changes > 0
    },
  }
}
