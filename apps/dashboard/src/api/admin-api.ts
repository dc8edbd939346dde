import {
  type AddKeysBody,
  addKeysResponseSchema,
  type BulkKeyActionBody,
  bulkKeyActionResponseSchema,
  configViewSchema,
  createClientKeyResponseSchema,
  type KeyStatus,
  keyViewSchema,
  listClientKeysResponseSchema,
  listKeyEventsResponseSchema,
  listKeysResponseSchema,
  listLogsResponseSchema,
  type PatchKeyBody,
  type StatsBucket,
  statsResponseSchema,
  statusViewSchema,
} from '@sfp/schemas'
import type { HttpClient, Query } from './http-client.js'

const MANAGE = '/api/manage'
const KEYS = `${MANAGE}/api-keys`

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
}

/** One function per admin route (CONTRACT §6); every JSON answer is checked against its schema. */
export function createAdminApi(http: HttpClient) {
  return {
    status: (signal?: AbortSignal) => http.json(`${MANAGE}/status`, statusViewSchema, { signal }),
    /** The raw SSE answer of `/events`; `status-stream.ts` reads it. */
    openEvents: (signal: AbortSignal) =>
      http.send(`${MANAGE}/events`, { accept: 'text/event-stream', signal }),
    config: (signal?: AbortSignal) => http.json(`${MANAGE}/config`, configViewSchema, { signal }),

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
    createClientKey: (name: string) =>
      http.json(`${MANAGE}/client-keys`, createClientKeyResponseSchema, {
        method: 'POST',
        body: { name },
      }),
    deleteClientKey: (id: number) =>
      http.empty(`${MANAGE}/client-keys/${id}`, { method: 'DELETE' }),
  }
}

export type AdminApi = ReturnType<typeof createAdminApi>
