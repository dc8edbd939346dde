import type { Readable } from 'node:stream'
import type { ClientKeyPatch, ClientKeyRow } from '@sfp/db'
import { presentedClientKey } from '@sfp/proxy'
import { createWriteBehind } from '@sfp/runtime'
import type {
  ClientKeyLimits,
  ClientKeyView,
  CreateClientKeyResponse,
  ListClientKeysResponse,
  PatchClientKeyBody,
} from '@sfp/schemas'
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import {
  type ClientRefusal,
  type CompiledLimits,
  checkClientLimits,
  compileIpRanges,
  cstDay,
  cstMonth,
  filterModelList,
  minuteOf,
} from '../client-limits.js'
import { randomToken, sha256 } from '../password.js'

/** Who made a proxied request: a dashboard client key (its id) or one of PROXY_API_KEYS (null). */
export interface ClientIdentity {
  clientKeyId: number | null
}

/** What a request used, as its request log record says once its answer ended. */
export interface AnsweredRequest {
  clientKeyId: number | null
  totalTokens: number | null
  cost: number | null
}

/** What the proxy knows of a request when it asks whether it may queue. */
export interface AdmissionRequest {
  model: string | null
  ip: string | null
  now: number
}

export interface ClientKeyRegistry {
  /** The identity behind a presented key, or undefined when the key is not accepted. */
  verify(presented: string): ClientIdentity | undefined
  /** Client keys accepted in total, from the dashboard and from PROXY_API_KEYS. */
  count(): number
  list(): ListClientKeysResponse
  create(name: string, limits?: Partial<ClientKeyLimits>): Promise<CreateClientKeyResponse>
  /** The key after the change; undefined for an unknown id. */
  update(id: number, patch: PatchClientKeyBody): Promise<ClientKeyView | undefined>
  remove(id: number): Promise<boolean>
  /** Count a request; written to the database behind, in batches. */
  recordUse(identity: ClientIdentity): void
  /**
   * The key's own limits (docs/behaviour.md §12) before the request queues: null lets it queue
   * and counts it against the minute and the day; a refusal counts nothing. PROXY_API_KEYS
   * (`clientKeyId` null) have no limits.
   */
  admit(identity: ClientIdentity, request: AdmissionRequest): ClientRefusal | null
  /**
   * Count what an answered request used, from its request log record: its total tokens against
   * the day, its cost in CNY (null until the price table prices it) against the month.
   */
  recordAnswer(record: AnsweredRequest): void
  /** Write pending usage now (also runs on a timer and at shutdown); synchronous on SQLite. */
  flushUsage(): Promise<void>
  /**
   * Cluster mode (docs/behaviour.md §9): read every client key again: keys added, changed or
   * deleted on another instance, and the day and month counters every instance adds to (this
   * instance's unwritten counts stay on top).
   */
  reload(): Promise<void>
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

/**
 * Use of one client key not written yet: its requests, its admitted requests and tokens of
 * `day`, its spend of `month` (China Standard Time, `YYYY-MM-DD` and `YYYY-MM`).
 */
interface ClientKeyUse {
  id: number
  requests: number
  lastUsedAt: number
  day: string
  dayRequests: number
  dayTokens: number
  month: string
  monthSpendCny: number
}
type UseCounts = Pick<ClientKeyUse, 'requests' | 'dayRequests' | 'dayTokens' | 'monthSpendCny'>

/** A client key as the registry holds it: its row, its limits ready to check, its minute. */
interface HeldKey {
  row: ClientKeyRow
  limits: CompiledLimits
  /** The fixed minute `minuteRequests` counts; in memory only (a restart forgets one minute). */
  minute: number
  minuteRequests: number
}

/** Reads of the client keys a reload makes at most while usage writes keep landing. */
const QUIET_READ_ATTEMPTS = 5

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

const compileLimits = (row: ClientKeyRow): CompiledLimits => ({
  models: row.models,
  expiresAt: row.expiresAt,
  rpm: row.rpm,
  dailyRequests: row.dailyRequests,
  dailyTokens: row.dailyTokens,
  monthlySpendCny: row.monthlySpendCny,
  allowedIps: row.allowedIps === null ? null : compileIpRanges(row.allowedIps),
})

/** The limits as the admin API gives them, as columns (times in ms). */
function limitColumns(limits: Partial<ClientKeyLimits>): Omit<ClientKeyPatch, 'name'> {
  const { expiresAt, ...rest } = limits
  return {
    ...rest,
    ...(expiresAt === undefined
      ? {}
      : { expiresAt: expiresAt === null ? null : Date.parse(expiresAt) }),
  }
}

/** The day counters move on to `today` when they count an earlier day (or none yet). */
function rollDay(row: ClientKeyRow, today: string): void {
  if (row.usageDay !== null && row.usageDay >= today) return
  row.usageDay = today
  row.dayRequests = 0
  row.dayTokens = 0
}

/** The same for the month's spend. */
function rollMonth(row: ClientKeyRow, thisMonth: string): void {
  if (row.usageMonth !== null && row.usageMonth >= thisMonth) return
  row.usageMonth = thisMonth
  row.monthSpendCny = 0
}

/** `GET /v1/models` (or the old prefix's) answered 200: the answer a model list filters. */
function isModelListAnswer(request: FastifyRequest, reply: FastifyReply): boolean {
  if (request.method !== 'GET' || reply.statusCode !== 200) return false
  const path = request.url.split('?', 1)[0]
  return path === '/v1/models' || path === '/api/proxy/models'
}

async function payloadText(payload: unknown): Promise<string> {
  if (typeof payload === 'string') return payload
  if (Buffer.isBuffer(payload)) return payload.toString('utf8')
  const chunks: Buffer[] = []
  for await (const chunk of payload as Readable) chunks.push(Buffer.from(chunk as Buffer))
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * Client keys are random and long, so a fast SHA-256 is enough to store them (no password
 * stretching needed), and lookups compare hashes, never the presented string itself.
 */
export default fp<ClientKeysPluginOptions>(
  async (app, { envKeys, usageFlushIntervalMs = 5000 }) => {
    const { now } = app.clock
    const repository = app.database.clientKeys
    const envHashes = new Set(envKeys.map(hashKey))
    const keys = new Map<number, HeldKey>()
    const hold = (row: ClientKeyRow) =>
      keys.set(row.id, { row, limits: compileLimits(row), minute: 0, minuteRequests: 0 })
    for (const row of await repository.all()) hold(row)
    const idByHash = new Map<string, number>(
      [...keys.values()].map(({ row }) => [row.keyHash, row.id]),
    )
    // One pending use per key, summed until written; the view adds its requests to the stored
    // count. The day and month counters live in the held row at once (the limits read them
    // there); the database gets the same additions behind, so a restart keeps them.
    // Usage writes started and finished: a reload reads the rows again when one ran meanwhile.
    let usageWritesStarted = 0
    let usageWritesDone = 0
    const usage = createWriteBehind<ClientKeyUse>({
      async write(batch) {
        usageWritesStarted += 1
        try {
          await writeUsage(batch)
        } finally {
          usageWritesDone += 1
        }
      },
      clock: app.clock,
      flushIntervalMs: usageFlushIntervalMs,
      maxBatch: 500,
      maxQueued: 100_000,
      coalesce: {
        keyOf: (use) => use.id,
        merge: (older, newer) => {
          // Counts of a period that is over are not worth writing: the new one starts from zero.
          const sameDay = older.day === newer.day
          const sameMonth = older.month === newer.month
          return {
            id: newer.id,
            requests: older.requests + newer.requests,
            lastUsedAt: Math.max(older.lastUsedAt, newer.lastUsedAt),
            day: newer.day,
            dayRequests: (sameDay ? older.dayRequests : 0) + newer.dayRequests,
            dayTokens: (sameDay ? older.dayTokens : 0) + newer.dayTokens,
            month: newer.month,
            monthSpendCny: (sameMonth ? older.monthSpendCny : 0) + newer.monthSpendCny,
          }
        },
      },
      onError: (error, items) =>
        app.log.warn(
          { err: error, clientKeys: items },
          'client key usage write failed; will retry',
        ),
    })
    async function writeUsage(batch: ClientKeyUse[]): Promise<void> {
      const present = batch.filter(({ id }) => keys.has(id))
      await repository.recordUsage(
        new Map(
          present.map((use) => [
            use.id,
            {
              requests: use.requests,
              lastUsedAt: use.lastUsedAt,
              day: { date: use.day, requests: use.dayRequests, tokens: use.dayTokens },
              month: { month: use.month, spendCny: use.monthSpendCny },
            },
          ]),
        ),
      )
      for (const { id, requests, lastUsedAt } of present) {
        const row = keys.get(id)?.row
        if (row === undefined) continue
        row.requestCount += requests
        row.lastUsedAt = Math.max(row.lastUsedAt ?? 0, lastUsedAt)
      }
    }
    /**
     * Every client key as stored, read while no usage write ran: one that lands during the read
     * may be in the rows or not, and its counts are added again on top of them (`unwritten`, and
     * the held row's own addition as it settles) if they are. Queued counts are written first;
     * the read is made again after a write that started meanwhile (a few times at most: a write
     * runs once a second, a read takes milliseconds).
     */
    async function readQuietRows(): Promise<ClientKeyRow[]> {
      for (let attempt = 1; ; attempt += 1) {
        await usage.flush()
        const started = usageWritesStarted
        const rows = await repository.all()
        const quiet = usageWritesStarted === started && usageWritesDone === started
        if (quiet || attempt === QUIET_READ_ATTEMPTS) return rows
      }
    }
    const addUse = (id: number, counts: Partial<UseCounts>) => {
      const time = now()
      const none = { requests: 0, dayRequests: 0, dayTokens: 0, monthSpendCny: 0 }
      usage.add({
        id,
        lastUsedAt: time,
        day: cstDay(time),
        month: cstMonth(time),
        ...none,
        ...counts,
      })
    }

    const view = (row: ClientKeyRow): ClientKeyView => {
      const pending = usage.queued(row.id)
      const time = now()
      const today = row.usageDay === cstDay(time)
      return {
        id: row.id,
        name: row.name,
        prefix: row.prefix,
        createdAt: new Date(row.createdAt).toISOString(),
        lastUsedAt: iso(pending?.lastUsedAt ?? row.lastUsedAt),
        requestCount: row.requestCount + (pending?.requests ?? 0),
        origin: row.origin,
        models: row.models,
        expiresAt: iso(row.expiresAt),
        rpm: row.rpm,
        dailyRequests: row.dailyRequests,
        dailyTokens: row.dailyTokens,
        monthlySpendCny: row.monthlySpendCny,
        allowedIps: row.allowedIps,
        note: row.note,
        usage: {
          requestsToday: today ? row.dayRequests : 0,
          tokensToday: today ? row.dayTokens : 0,
          spendThisMonthCny: row.usageMonth === cstMonth(time) ? row.monthSpendCny : 0,
        },
      }
    }

    /**
     * Keys presented before and accepted, with what they proved: a SHA-256 per request was the
     * largest cost of the proxy's own code after the socket writes (bench/README.md "Profile").
     * Only accepted keys go in, so it holds at most one entry per client key (a refused string is
     * hashed every time and never kept); a removed key's entries go with it. The strings are the
     * keys themselves, as `PROXY_API_KEYS` already is in this process's memory.
     */
    const accepted = new Map<string, ClientIdentity>()
    const identify = (presented: string): ClientIdentity | undefined => {
      const known = accepted.get(presented)
      if (known !== undefined) return known
      const hash = hashKey(presented)
      const id = idByHash.get(hash)
      const identity =
        id !== undefined
          ? { clientKeyId: id }
          : envHashes.has(hash)
            ? { clientKeyId: null }
            : undefined
      if (identity !== undefined) accepted.set(presented, identity)
      return identity
    }

    /** A deleted key: no longer held, accepted or counted. */
    const forget = (id: number) => {
      const held = keys.get(id)
      if (held === undefined) return
      keys.delete(id)
      idByHash.delete(held.row.keyHash)
      for (const [presented, identity] of accepted) {
        if (identity.clientKeyId === id) accepted.delete(presented)
      }
      usage.discard(id)
    }

    const registry: ClientKeyRegistry = {
      verify: identify,
      count: () => envHashes.size + keys.size,
      list: () => ({
        keys: [...keys.values()].map(({ row }) => view(row)),
        envKeyCount: envHashes.size,
      }),
      async create(name, limits = {}) {
        const plaintext = generateClientKey()
        const row = await repository.insert({
          name,
          keyHash: hashKey(plaintext),
          prefix: clientKeyPrefix(plaintext),
          createdAt: now(),
          ...limitColumns(limits),
        })
        hold(row)
        idByHash.set(row.keyHash, row.id)
        return { key: view(row), plaintext }
      },
      async update(id, { name, ...limits }) {
        if (!keys.has(id)) return undefined
        const patch: ClientKeyPatch = {
          ...(name === undefined ? {} : { name }),
          ...limitColumns(limits),
        }
        const stored = await repository.update(id, patch)
        const held = keys.get(id)
        if (stored === undefined || held === undefined) return undefined
        // Only the changed fields: the held counters are newer than the stored ones.
        for (const field of Object.keys(patch) as (keyof ClientKeyPatch)[]) {
          Object.assign(held.row, { [field]: stored[field] })
        }
        held.limits = compileLimits(held.row)
        return view(held.row)
      },
      async remove(id) {
        if (!keys.has(id)) return false
        await repository.remove(id)
        forget(id)
        return true
      },
      recordUse({ clientKeyId }) {
        if (clientKeyId === null) return
        addUse(clientKeyId, { requests: 1 })
      },
      admit({ clientKeyId }, request) {
        const held = clientKeyId === null ? undefined : keys.get(clientKeyId)
        if (held === undefined) return null
        const { row } = held
        rollDay(row, cstDay(request.now))
        rollMonth(row, cstMonth(request.now))
        const minute = minuteOf(request.now)
        if (held.minute !== minute) {
          held.minute = minute
          held.minuteRequests = 0
        }
        const used = {
          minuteRequests: held.minuteRequests,
          dayRequests: row.dayRequests,
          dayTokens: row.dayTokens,
          monthSpendCny: row.monthSpendCny,
        }
        const refusal = checkClientLimits(held.limits, used, request)
        if (refusal !== null) return refusal
        held.minuteRequests += 1
        row.dayRequests += 1
        addUse(row.id, { dayRequests: 1 })
        return null
      },
      recordAnswer({ clientKeyId, totalTokens, cost }) {
        const held = clientKeyId === null ? undefined : keys.get(clientKeyId)
        const tokens = totalTokens ?? 0
        const spendCny = cost ?? 0
        if (held === undefined || (tokens <= 0 && spendCny <= 0)) return
        const time = now()
        rollDay(held.row, cstDay(time))
        rollMonth(held.row, cstMonth(time))
        held.row.dayTokens += Math.max(0, tokens)
        held.row.monthSpendCny += Math.max(0, spendCny)
        addUse(held.row.id, {
          dayTokens: Math.max(0, tokens),
          monthSpendCny: Math.max(0, spendCny),
        })
      },
      flushUsage: usage.flush,
      async reload() {
        const rows = await readQuietRows()
        const present = new Set(rows.map((row) => row.id))
        for (const row of rows) {
          const pending = usage.unwritten(row.id)
          if (pending !== undefined) {
            rollDay(row, pending.day)
            if (row.usageDay === pending.day) {
              row.dayRequests += pending.dayRequests
              row.dayTokens += pending.dayTokens
            }
            rollMonth(row, pending.month)
            if (row.usageMonth === pending.month) row.monthSpendCny += pending.monthSpendCny
          }
          const held = keys.get(row.id)
          if (held === undefined) hold(row)
          else {
            held.row = row
            held.limits = compileLimits(row)
          }
          idByHash.set(row.keyHash, row.id)
        }
        for (const id of [...keys.keys()]) if (!present.has(id)) forget(id)
      },
    }

    /**
     * `/v1/models` for a key with a model list: only the models it may use (docs/behaviour.md
     * §12). The answer passes here on its way out, already masked; a callback hook, since it
     * sees every answer of the server and nearly all go on untouched.
     */
    app.addHook('onSend', (request, reply, payload, done) => {
      if (!isModelListAnswer(request, reply)) return done(null, payload)
      const presented = presentedClientKey(request.headers)
      const id = presented === undefined ? undefined : identify(presented)?.clientKeyId
      const patterns = id == null ? null : (keys.get(id)?.limits.models ?? null)
      if (patterns === null) return done(null, payload)
      payloadText(payload).then(
        (text) => {
          const filtered = filterModelList(text, patterns)
          if (filtered !== null) reply.removeHeader('content-length')
          done(null, filtered ?? text)
        },
        (error: unknown) => done(error as Error),
      )
    })

    app.decorate('clientKeys', registry)
    app.addHook('onClose', () => usage.close())
  },
  { name: 'client-keys', fastify: '5.x', dependencies: ['clock', 'database'] },
)
