import type { ClientKeyRow } from '@sfp/db'
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
  create(name: string): CreateClientKeyResponse
  remove(id: number): boolean
  /** Count a request; written to the database in batches. */
  recordUse(identity: ClientIdentity): void
  /** Write pending usage now (also runs on a timer and at shutdown). */
  flushUsage(): void
}

declare module 'fastify' {
  interface FastifyInstance {
    clientKeys: ClientKeyRegistry
  }
}

export interface ClientKeysPluginOptions {
  /** PROXY_API_KEYS */
  envKeys: readonly string[]
  now?: () => number
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

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

/**
 * Client keys are random and long, so a fast SHA-256 is enough to store them (no password
 * stretching needed), and lookups compare hashes, never the presented string itself.
 */
export default fp<ClientKeysPluginOptions>(
  async (app, { envKeys, now = Date.now, usageFlushIntervalMs = 5000 }) => {
    const repository = app.database.clientKeys
    const envHashes = new Set(envKeys.map(hashKey))
    const rows = new Map<number, ClientKeyRow>(repository.all().map((row) => [row.id, row]))
    const idByHash = new Map<string, number>([...rows.values()].map((row) => [row.keyHash, row.id]))
    const pending = new Map<number, { requests: number; lastUsedAt: number }>()

    const view = (row: ClientKeyRow): ClientKeyView => {
      const usage = pending.get(row.id)
      return {
        id: row.id,
        name: row.name,
        prefix: row.prefix,
        createdAt: new Date(row.createdAt).toISOString(),
        lastUsedAt: iso(usage?.lastUsedAt ?? row.lastUsedAt),
        requestCount: row.requestCount + (usage?.requests ?? 0),
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
      create(name) {
        const plaintext = generateClientKey()
        const row = repository.insert({
          name,
          keyHash: hashKey(plaintext),
          prefix: clientKeyPrefix(plaintext),
          createdAt: now(),
        })
        rows.set(row.id, row)
        idByHash.set(row.keyHash, row.id)
        return { key: view(row), plaintext }
      },
      remove(id) {
        const row = rows.get(id)
        if (!row) return false
        repository.remove(id)
        rows.delete(id)
        idByHash.delete(row.keyHash)
        pending.delete(id)
        return true
      },
      recordUse({ clientKeyId }) {
        if (clientKeyId === null) return
        const usage = pending.get(clientKeyId)
        if (usage) {
          usage.requests += 1
          usage.lastUsedAt = now()
        } else {
          pending.set(clientKeyId, { requests: 1, lastUsedAt: now() })
        }
      },
      flushUsage() {
        if (pending.size === 0) return
        const batch = new Map([...pending].filter(([id]) => rows.has(id)))
        pending.clear()
        repository.recordUsage(batch)
        for (const [id, { requests, lastUsedAt }] of batch) {
          const row = rows.get(id)
          if (row) {
            row.requestCount += requests
            row.lastUsedAt = Math.max(row.lastUsedAt ?? 0, lastUsedAt)
          }
        }
      },
    }

    const timer = setInterval(() => registry.flushUsage(), usageFlushIntervalMs)
    timer.unref()
    app.decorate('clientKeys', registry)
    app.addHook('onClose', async () => {
      clearInterval(timer)
      registry.flushUsage()
    })
  },
  { name: 'client-keys', fastify: '5.x', dependencies: ['database'] },
)
