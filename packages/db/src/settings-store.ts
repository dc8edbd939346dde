import type { Statement } from 'better-sqlite3'
import { eq } from 'drizzle-orm'
import type { Db } from './database.js'
import { parseSetting } from './query-parts.js'
import { settings } from './schema.js'

/** Names of the values kept in the `settings` table, in one place. */
export const SETTING = {
  adminPasswordHash: 'admin.password_hash',
  clientKeyBootstrapped: 'client_keys.bootstrapped',
  encryptionCheck: 'crypto.check',
  /** Single-IP versions only: moved onto the built-in direct egress at the first boot with lanes. */
  currentKeyId: 'pool.current_key_id',
  /** Single-IP versions only: moved onto the built-in direct egress at the first boot with lanes. */
  switchGuard: 'dispatch.switch_guard',
  /** The price table (docs/behaviour.md §11): `{ prices: [...], updatedAt }` as JSON. */
  prices: 'pricing.prices',
} as const
export type SettingName = (typeof SETTING)[keyof typeof SETTING]

export interface SettingsStore {
  get(name: SettingName): string | undefined
  set(name: SettingName, value: string, now?: number): void
  delete(name: SettingName): void
  getJson<T>(name: SettingName): T | undefined
  setJson(name: SettingName, value: unknown, now?: number): void
}

/** Column order of the prepared upsert. */
const UPSERT_SQL = `INSERT INTO settings (name, value, updated_at) VALUES (?, ?, ?)
  ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`

export function createSettingsStore(db: Db): SettingsStore {
  // The switch guard writes its memory here (at most once a second while one key is in use, at
  // once on a change): a raw prepared statement costs a few microseconds, the query builder
  // ~100 µs (measured by `pnpm bench`, when it still wrote twice per proxied request).
  let upsert: Statement | undefined
  const store: SettingsStore = {
    get(name) {
      return db
        .select({ value: settings.value })
        .from(settings)
        .where(eq(settings.name, name))
        .get()?.value
    },
    set(name, value, now = Date.now()) {
      upsert ??= db.$client.prepare(UPSERT_SQL)
      upsert.run(name, value, now)
    },
    delete(name) {
      db.delete(settings).where(eq(settings.name, name)).run()
    },
    getJson: <T>(name: SettingName) => parseSetting<T>(store.get(name)),
    setJson(name, value, now) {
      store.set(name, JSON.stringify(value), now)
    },
  }
  return store
}
