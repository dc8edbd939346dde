import { createClientKeysRepository } from './client-keys-repository.js'
import type { DatabaseHandle } from './database.js'
import { createEgressesRepository } from './egresses-repository.js'
import { createKeyEventsRepository } from './key-events-repository.js'
import { createNotificationTargetsRepository } from './notification-targets-repository.js'
import { createRequestLogRepository } from './request-log-repository.js'
import { createSettingsStore, type SettingName } from './settings-store.js'
import type { Storage } from './storage.js'
import { createUpstreamKeysRepository } from './upstream-keys-repository.js'

/**
 * `Storage` over the SQLite file: each method calls the synchronous repository's and hands its
 * result back as a settled Promise (an `async` function turns a throw into a rejection). The
 * work is done before the method returns, as it always was with better-sqlite3.
 */
export function sqliteStorage(handle: DatabaseHandle): Storage {
  const { db } = handle
  const upstreamKeys = createUpstreamKeysRepository(db)
  const egresses = createEgressesRepository(db)
  const clientKeys = createClientKeysRepository(db)
  const requestLogs = createRequestLogRepository(db)
  const keyEvents = createKeyEventsRepository(db)
  const settings = createSettingsStore(db)
  const notificationTargets = createNotificationTargetsRepository(db)
  return {
    upstreamKeys: {
      all: async () => upstreamKeys.all(),
      insertMany: async (rows) => upstreamKeys.insertMany(rows),
      update: async (id, patch) => upstreamKeys.update(id, patch),
      async updateFenced(id, patch) {
        upstreamKeys.update(id, patch)
        return true
      },
      async claim(id, egressId, now) {
        upstreamKeys.update(id, { egressId, egressUsedAt: now })
        return true
      },
      remove: async (ids) => upstreamKeys.remove(ids),
      replaceSecrets: async (rows) => upstreamKeys.replaceSecrets(rows),
    },
    egresses: {
      all: async () => egresses.all(),
      insert: async (row) => egresses.insert(row),
      update: async (id, patch) => egresses.update(id, patch),
      async updateFenced(id, patch) {
        egresses.update(id, patch)
        return true
      },
      remove: async (id) => egresses.remove(id),
      replacePasswords: async (rows) => egresses.replacePasswords(rows),
    },
    clientKeys: {
      all: async () => clientKeys.all(),
      findByHash: async (keyHash) => clientKeys.findByHash(keyHash),
      insert: async (row) => clientKeys.insert(row),
      update: async (id, patch) => clientKeys.update(id, patch),
      remove: async (id) => clientKeys.remove(id),
      recordUsage: async (usage) => clientKeys.recordUsage(usage),
    },
    requestLogs: {
      insertBatch: async (rows) => requestLogs.insertBatch(rows),
      list: async (query) => requestLogs.list(query),
      stats: async (filter) => requestLogs.stats(filter),
      deleteOlderThan: async (time, limit) => requestLogs.deleteOlderThan(time, limit),
    },
    keyEvents: {
      append: async (event) => keyEvents.append(event),
      appendMany: async (events) => keyEvents.appendMany(events),
      list: async (filter) => keyEvents.list(filter),
    },
    settings: {
      get: async (name) => settings.get(name),
      set: async (name, value, now) => settings.set(name, value, now),
      delete: async (name) => settings.delete(name),
      getJson: async <T>(name: SettingName) => settings.getJson<T>(name),
      setJson: async (name, value, now) => settings.setJson(name, value, now),
    },
    notificationTargets: {
      all: async () => notificationTargets.all(),
      insert: async (row) => notificationTargets.insert(row),
      update: async (id, patch) => notificationTargets.update(id, patch),
      remove: async (id) => notificationTargets.remove(id),
    },
  }
}
