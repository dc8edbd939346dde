import { eq } from 'drizzle-orm'
import type { Db } from './database.js'
import { settings } from './schema.js'

/** Names of the values kept in the `settings` table, in one place. */
export const SETTING = {
  adminPasswordHash: 'admin.password_hash',
  clientKeyBootstrapped: 'client_keys.bootstrapped',
  encryptionCheck: 'crypto.check',
  currentKeyId: 'pool.current_key_id',
  switchGuard: 'dispatch.switch_guard',
} as const
export type SettingName = (typeof SETTING)[keyof typeof SETTING]

export interface SettingsStore {
  get(name: SettingName): string | undefined
  set(name: SettingName, value: string, now?: number): void
  delete(name: SettingName): void
  getJson<T>(name: SettingName): T | undefined
  setJson(name: SettingName, value: unknown, now?: number): void
}

export function createSettingsStore(db: Db): SettingsStore {
  const store: SettingsStore = {
    get(name) {
      return db
        .select({ value: settings.value })
        .from(settings)
        .where(eq(settings.name, name))
        .get()?.value
    },
    set(name, value, now = Date.now()) {
      db.insert(settings)
        .values({ name, value, updatedAt: now })
        .onConflictDoUpdate({ target: settings.name, set: { value, updatedAt: now } })
        .run()
    },
    delete(name) {
      db.delete(settings).where(eq(settings.name, name)).run()
    },
    getJson<T>(name: SettingName) {
      const raw = store.get(name)
      return raw === undefined ? undefined : (JSON.parse(raw) as T)
    },
    setJson(name, value, now) {
      store.set(name, JSON.stringify(value), now)
    },
  }
  return store
}
