import type { ClientKeyRow } from '@sfp/db'
import { createWriteBehind } from '@sfp/runtime'
import type { ClientKeyView, CreateClientKeyResponse, ListClientKeysResponse } from '@sfp/schemas'
import fp from 'fastify-plugin'
import { randomToken, sha256 } from '../password.js'

/** Who made a proxied request: a dashboard client key (its id) or one of PROXY_API_KEYS (null). */
export interface ClientIdentity {
  clientKeyId: number | null
}

export interface ClientKeyRegistry {
  /** The identity behind a presented key, or undefined when the key is not accepted. */
  verify(presented: string): ClientIdentity | undefined
  /** Client keys accepted in total, from the dashboard and from PROXY_API_KEYS. */
  count(): number
  list(): ListClientKeysResponse
  create(name: string): Promise<CreateClientKeyResponse>
  remove(id: number): Promise<boolean>
  /** Count a request; written to the database behind, in batches. */
  recordUse(identity: ClientIdentity): void
  /** Write pending usage now (also runs on a timer and at shutdown); synchronous on SQLite. */
  flushUsage(): Promise<void>
}

declare module 'fastify' {
  interface FastifyInstance {
    clientKeys: ClientKeyRegistry
  }
}

export interface ClientKeysPluginOptions {
  /** PROXY_API_KEYS */
  envKeys: readonly string[]
  usageFlushIntervalMs?: number
}

export const CLIENT_KEY_PREFIX = 'sk-sfp-'

/** A new client key: `sk-sfp-` and 40 characters of an unambiguous alphabet (about 233 bits). */
export function generateClientKey(): string {
  return `${CLIENT_KEY_PREFIX}${randomToken(40)}`
}

/** How a client key is recognised later, without keeping enough of it to use it. */
export function clientKeyPrefix(key: string): string {
  return `${key.slice(0, CLIENT_KEY_PREFIX.length + 4)}…${key.slice(-4)}`
}

const hashKey = (key: string) => sha256(key).toString('hex')

/** What the old siliconflowProxy's ADMIN_PASSWORD is listed as: none of a password is shown. */
export const IMPORTED_CLIENT_KEY_PREFIX = 'ADMIN_PASSWORD'

/**
 * The old program's shared secret as a client key row (the import runs before this plugin):
 * hashed like every client key, and shown by a fixed name rather than its first characters (a
 * password is short and guessable, unlike a generated key).
 */
export function importedClientKeyRecord(secret: string): { keyHash: string; prefix: string } {
  return { keyHash: hashKey(secret), prefix: IMPORTED_CLIENT_KEY_PREFIX }
}

/** Requests of one client key not written yet. */
interface ClientKeyUse {
  id: number
  requests: number
  lastUsedAt: number
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

/**
 * Client keys are random and long, so a fast SHA-256 is enough to store them (no password
 * stretching needed), and lookups compare hashes, never the presented string itself.
 */
export default fp<ClientKeysPluginOptions>(
  async (app, { envKeys, usageFlushIntervalMs = 5000 }) => {
    const { now } = app.clock
    const repository = app.database.clientKeys
    const envHashes = new Set(envKeys.map(hashKey))
    const rows = new Map<number, ClientKeyRow>((await repository.all()).map((row) => [row.id, row]))
    const idByHash = new Map<string, number>([...rows.values()].map((row) => [row.keyHash, row.id]))
    // One pending count per key, summed until written; the view adds it to the stored count.
    const usage = createWriteBehind<ClientKeyUse>({
      async write(batch) {
        const present = batch.filter(({ id }) => rows.has(id))
        await repository.recordUsage(new Map(present.map(({ id, ...use }) => [id, use])))
        for (const { id, requests, lastUsedAt } of present) {
          const row = rows.get(id)
          if (row === undefined) continue
          row.requestCount += requests
          row.lastUsedAt = Math.max(row.lastUsedAt ?? 0, lastUsedAt)
        }
      },
      clock: app.clock,
      flushIntervalMs: usageFlushIntervalMs,
      maxBatch: 500,
      maxQueued: 100_000,
      coalesce: {
        keyOf: (use) => use.id,
        merge: (older, newer) => ({
          id: newer.id,
          requests: older.requests + newer.requests,
          lastUsedAt: Math.max(older.lastUsedAt, newer.lastUsedAt),
        }),
      },
      onError: (error, items) =>
        app.log.warn(
          { err: error, clientKeys: items },
          'client key usage write failed; will retry',
        ),
    })

    const view = (row: ClientKeyRow): ClientKeyView => {
      const pending = usage.queued(row.id)
      return {
        id: row.id,
        name: row.name,
        prefix: row.prefix,
        createdAt: new Date(row.createdAt).toISOString(),
        lastUsedAt: iso(pending?.lastUsedAt ?? row.lastUsedAt),
        requestCount: row.requestCount + (pending?.requests ?? 0),
        origin: row.origin,
      }
    }

    const registry: ClientKeyRegistry = {
      verify(presented) {
        const hash = hashKey(presented)
        const id = idByHash.get(hash)
        if (id !== undefined) return { clientKeyId: id }
        return envHashes.has(hash) ? { clientKeyId: null } : undefined
      },
      count: () => envHashes.size + rows.size,
      list: () => ({ keys: [...rows.values()].map(view), envKeyCount: envHashes.size }),
      async create(name) {
        const plaintext = generateClientKey()
        const row = await repository.insert({
          name,
          keyHash: hashKey(plaintext),
          prefix: clientKeyPrefix(plaintext),
          createdAt: now(),
        })
        rows.set(row.id, row)
        idByHash.set(row.keyHash, row.id)
        return { key: view(row), plaintext }
      },
      async remove(id) {
        const row = rows.get(id)
        if (!row) return false
        await repository.remove(id)
        rows.delete(id)
        idByHash.delete(row.keyHash)
        usage.discard(id)
        return true
      },
      recordUse({ clientKeyId }) {
        if (clientKeyId === null) return
        usage.add({ id: clientKeyId, requests: 1, lastUsedAt: now() })
      },
      flushUsage: usage.flush,
    }

    app.decorate('clientKeys', registry)
    app.addHook('onClose', () => usage.close())
  },
  { name: 'client-keys', fastify: '5.x', dependencies: ['clock', 'database'] },
)
