import {
  type AddKeysBody,
  addKeysResponseSchema,
  adminPasswordStateSchema,
  type BulkKeyActionBody,
  bulkKeyActionResponseSchema,
  type ChangeAdminPasswordBody,
  type CreateClientKeyBody,
  type CreateEgressBody,
  type CreateNotificationBody,
  clientKeyViewSchema,
  configViewSchema,
  createClientKeyResponseSchema,
  egressCheckResultSchema,
  egressViewSchema,
  type KeyStatus,
  keyViewSchema,
  legacyImportResponseSchema,
  listClientKeysResponseSchema,
  listEgressesResponseSchema,
  listKeyEventsResponseSchema,
  listKeysResponseSchema,
  listLogsResponseSchema,
  listNotificationsResponseSchema,
  notificationTestResultSchema,
  notificationViewSchema,
  type PatchClientKeyBody,
  type PatchEgressBody,
  type PatchKeyBody,
  type PatchNotificationBody,
  type PutPricesBody,
  pricesResponseSchema,
  type StatsBucket,
  statsResponseSchema,
  statusViewSchema,
} from '@sfp/schemas'
import { attachmentFileName } from './content-disposition.js'
import type { HttpClient, Query } from './http-client.js'

const MANAGE = '/api/manage'
const KEYS = `${MANAGE}/api-keys`
const EGRESSES = `${MANAGE}/egresses`
const NOTIFICATIONS = `${MANAGE}/notifications`
/** What the backup file is called when the server does not say. */
const BACKUP_FALLBACK_NAME = 'sfp-backup.db'

export interface BackupFile {
  fileName: string
  data: Blob
}

export interface ListKeysQuery {
  status?: KeyStatus
  limit?: number
  offset?: number
}

export interface StatsQuery {
  from?: number
  to?: number
  bucket?: StatsBucket
  keyId?: number
  /** One series per upstream key / egress lane / client key besides the total. */
  groupBy?: 'key' | 'egress' | 'client'
}

/** One function per admin route (docs/behaviour.md §6); each answer is checked by its schema. */
export function createAdminApi(http: HttpClient) {
  return {
    status: (signal?: AbortSignal) => http.json(`${MANAGE}/status`, statusViewSchema, { signal }),
    /** The raw SSE answer of `/events`; `status-stream.ts` reads it. */
    openEvents: (signal: AbortSignal) =>
      http.send(`${MANAGE}/events`, { accept: 'text/event-stream', signal }),
    config: (signal?: AbortSignal) => http.json(`${MANAGE}/config`, configViewSchema, { signal }),
    /** Whether the admin password comes from ADMIN_PASSWORD (then it cannot change here). */
    adminPassword: (signal?: AbortSignal) =>
      http.json(`${MANAGE}/admin-password`, adminPasswordStateSchema, { signal }),
    /** Use `useSession().changePassword`, which keeps this browser signed in with the new one. */
    changeAdminPassword: (body: ChangeAdminPasswordBody) =>
      http.empty(`${MANAGE}/admin-password`, { method: 'PUT', body }),
    /** The SQLite database as a file, with the name the server gives it. */
    async backup(): Promise<BackupFile> {
      const response = await http.send(`${MANAGE}/backup`, { accept: 'application/vnd.sqlite3' })
      const fileName = attachmentFileName(response.headers.get('content-disposition'))
      return { fileName: fileName ?? BACKUP_FALLBACK_NAME, data: await response.blob() }
    },

    /** The price table (docs/behaviour.md §11): CNY per million tokens by model. */
    prices: (signal?: AbortSignal) =>
      http.json(`${MANAGE}/prices`, pricesResponseSchema, { signal }),
    /** Replaces the whole table; the answer is the table as stored. */
    putPrices: (body: PutPricesBody) =>
      http.json(`${MANAGE}/prices`, pricesResponseSchema, { method: 'PUT', body }),

    listKeys: (query: ListKeysQuery = {}, signal?: AbortSignal) =>
      http.json(KEYS, listKeysResponseSchema, { query: { ...query }, signal }),
    addKeys: (body: AddKeysBody) =>
      http.json(KEYS, addKeysResponseSchema, { method: 'POST', body }),
    deleteKey: (id: number) => http.empty(`${KEYS}/${id}`, { method: 'DELETE' }),
    patchKey: (id: number, body: PatchKeyBody) =>
      http.json(`${KEYS}/${id}`, keyViewSchema, { method: 'PATCH', body }),
    activateKey: (id: number) =>
      http.json(`${KEYS}/${id}/activate`, keyViewSchema, { method: 'PUT' }),
    checkKey: (id: number) => http.json(`${KEYS}/${id}/check`, keyViewSchema, { method: 'POST' }),
    bulkKeys: (body: BulkKeyActionBody) =>
      http.json(`${KEYS}/bulk`, bulkKeyActionResponseSchema, { method: 'POST', body }),
    exportKeys: () => http.text(`${KEYS}/export`),

    logs: (query: Query, signal?: AbortSignal) =>
      http.json(`${MANAGE}/logs`, listLogsResponseSchema, { query, signal }),
    stats: (query: StatsQuery, signal?: AbortSignal) =>
      http.json(`${MANAGE}/stats`, statsResponseSchema, { query: { ...query }, signal }),
    keyEvents: (query: { keyId?: number; limit?: number }, signal?: AbortSignal) =>
      http.json(`${MANAGE}/key-events`, listKeyEventsResponseSchema, {
        query: { ...query },
        signal,
      }),

    clientKeys: (signal?: AbortSignal) =>
      http.json(`${MANAGE}/client-keys`, listClientKeysResponseSchema, { signal }),
    createClientKey: (body: CreateClientKeyBody) =>
      http.json(`${MANAGE}/client-keys`, createClientKeyResponseSchema, { method: 'POST', body }),
    /** The fields given change (null lifts a limit); the key itself never shows again. */
    updateClientKey: (id: number, patch: PatchClientKeyBody) =>
      http.json(`${MANAGE}/client-keys/${id}`, clientKeyViewSchema, {
        method: 'PATCH',
        body: patch,
      }),
    deleteClientKey: (id: number) =>
      http.empty(`${MANAGE}/client-keys/${id}`, { method: 'DELETE' }),

    /** What the siliconflowProxy import brought over (null summary: there was none). */
    legacyImport: (signal?: AbortSignal) =>
      http.json(`${MANAGE}/import`, legacyImportResponseSchema, { signal }),
    /** The admin has read the import notice: it is not shown again. */
    dismissLegacyImport: () => http.empty(`${MANAGE}/import/dismiss`, { method: 'POST' }),

    listEgresses: (signal?: AbortSignal) =>
      http.json(EGRESSES, listEgressesResponseSchema, { signal }),
    /** The body holds the proxy URL with its password: it goes to the server and nowhere else. */
    createEgress: (body: CreateEgressBody) =>
      http.json(EGRESSES, egressViewSchema, { method: 'POST', body }),
    updateEgress: (id: number, body: PatchEgressBody) =>
      http.json(`${EGRESSES}/${id}`, egressViewSchema, { method: 'PATCH', body }),
    /** Its keys are unbound (they join another lane when next used). */
    deleteEgress: (id: number) => http.empty(`${EGRESSES}/${id}`, { method: 'DELETE' }),
    /** A connection to the upstream through this egress; no key is sent. */
    checkEgress: (id: number) =>
      http.json(`${EGRESSES}/${id}/check`, egressCheckResultSchema, { method: 'POST' }),

    listNotifications: (signal?: AbortSignal) =>
      http.json(NOTIFICATIONS, listNotificationsResponseSchema, { signal }),
    /** The body holds the target's URL and secret: they go to the server and nowhere else. */
    createNotification: (body: CreateNotificationBody) =>
      http.json(NOTIFICATIONS, notificationViewSchema, { method: 'POST', body }),
    /** An absent URL or secret keeps the stored one; `secret: null` removes it. */
    updateNotification: (id: number, body: PatchNotificationBody) =>
      http.json(`${NOTIFICATIONS}/${id}`, notificationViewSchema, { method: 'PATCH', body }),
    deleteNotification: (id: number) => http.empty(`${NOTIFICATIONS}/${id}`, { method: 'DELETE' }),
    /** One test message, no retry: the outcome, with the failure as a code to word. */
    testNotification: (id: number) =>
      http.json(`${NOTIFICATIONS}/${id}/test`, notificationTestResultSchema, { method: 'POST' }),
  }
}

export type AdminApi = ReturnType<typeof createAdminApi>
