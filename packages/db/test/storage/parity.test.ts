import type { ListLogsQuery, StatsBucket } from '@sfp/schemas'
import { STATS_BUCKETS } from '@sfp/schemas'
import { expect, it } from 'vitest'
import { postgresStorage } from '../../src/pg/index.js'
import type { StatsFilter } from '../../src/request-log-repository.js'
import type { NewRequestLogRow } from '../../src/schema.js'
import type { Storage } from '../../src/storage.js'
import { describePostgres, useTestSchema } from '../helpers/postgres.js'
import { useSqlite } from './dialects.js'
import { EXPLANATION, newEgress, newEvent, newKey, T0 } from './rows.js'

/** A small seeded generator (mulberry32): the same rows at every run, many shapes of them. */
function random(seed: number) {
  let state = seed
  const next = () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (below: number) => Math.floor(next() * below)
  const pick = <T>(values: readonly T[]): T => values[int(values.length)] as T
  const maybe = <T>(value: T) => (next() < 0.3 ? null : value)
  return { int, pick, maybe }
}

const DAY = 86_400_000

/** Three days of varied rows, starting off any bucket boundary. */
function logRows(): NewRequestLogRow[] {
  const { int, pick, maybe } = random(14)
  return Array.from({ length: 600 }, (_, i) => ({
    time: T0 - 7_777 + int(3 * DAY),
    requestId: `req-${i}`,
    clientKeyId: maybe(1 + int(3)),
    upstreamKeyId: maybe(1 + int(4)),
    egressId: maybe(1 + int(3)),
    clientIp: maybe('198.51.100.7'),
    method: pick(['GET', 'POST']),
    path: pick(['/v1/chat/completions', '/v1/embeddings']),
    model: maybe(pick(['a', 'b'])),
    stream: pick([true, false]),
    status: pick([200, 200, 200, 201, 302, 400, 401, 429, 499, 500, 502, 503]),
    upstreamStatus: maybe(pick([200, 429, 503])),
    attempts: int(4),
    queueWaitMs: maybe(int(2000)),
    ttfbMs: maybe(int(5000)),
    durationMs: int(60_000),
    promptTokens: maybe(int(4000)),
    completionTokens: maybe(int(4000)),
    totalTokens: maybe(int(8000)),
    errorType: maybe(pick(['upstream_error', 'rate_limited'])),
    errorMessage: maybe('said "no"'),
    errorParams: maybe({ status: int(600), detail: maybe('细节 {"a": [1, 2]}') }),
  }))
}

/** Every page of `query`, following the cursor. */
async function allPages(storage: Storage, query: Omit<ListLogsQuery, 'cursor'>) {
  const pages = []
  let cursor: string | undefined
  do {
    const page = await storage.requestLogs.list({ ...query, cursor })
    pages.push(page)
    cursor = page.nextCursor ?? undefined
  } while (cursor !== undefined)
  return pages
}

/** The same writes on any storage, and what its tables hold afterwards. */
async function exercise(storage: Storage) {
  const egress = await storage.egresses.insert(newEgress('p', { password: 'pw' }))
  const other = await storage.egresses.insert(newEgress('q'))
  if (!egress || !other) throw new Error('not inserted')
  await storage.egresses.insert(newEgress('p'))
  await storage.egresses.update(egress.id, {
    enabled: false,
    stateExplanation: EXPLANATION,
    blockedUntil: T0 + DAY,
  })
  const keys = await storage.upstreamKeys.insertMany([
    newKey('a', { egressId: egress.id, egressUsedAt: T0 }),
    newKey('b', { balance: 13.37, lastErrorDetail: EXPLANATION }),
    newKey('a'),
    newKey('c', { egressId: other.id, status: 'insufficient' }),
  ])
  await storage.upstreamKeys.update(keys[1]?.id ?? 0, { callCount: 2 ** 41, lastError: null })
  await storage.upstreamKeys.replaceSecrets([
    { id: keys[2]?.id ?? 0, secret: 'e', fingerprint: 'f' },
  ])
  await storage.egresses.remove(egress.id)
  await storage.egresses.replacePasswords([{ id: other.id, password: 'enc' }])
  const client = await storage.clientKeys.insert({
    name: 'c',
    keyHash: 'h',
    prefix: 'p',
    createdAt: T0,
  })
  await storage.clientKeys.recordUsage(new Map([[client.id, { requests: 5, lastUsedAt: T0 + 5 }]]))
  await storage.keyEvents.appendMany([
    newEvent({ explanation: EXPLANATION }),
    newEvent({ keyId: null }),
  ])
  return {
    upstreamKeys: await storage.upstreamKeys.all(),
    egresses: await storage.egresses.all(),
    clientKeys: await storage.clientKeys.all(),
    keyEvents: await storage.keyEvents.list({ limit: 10 }),
  }
}

describePostgres('SQLite and PostgreSQL storage give the same results', () => {
  const openSqlite = useSqlite()
  const schema = useTestSchema()
  const openBoth = async () => ({
    sqlite: openSqlite(),
    postgres: postgresStorage(await schema.open()),
  })

  it('the same writes leave the same rows: ids, JSON, booleans, nulls, big numbers', async () => {
    const { sqlite, postgres } = await openBoth()
    const written = await exercise(sqlite)
    expect(written.upstreamKeys).toHaveLength(3)
    expect(await exercise(postgres)).toEqual(written)
  })

  it('the same log rows give the same pages and the same stats', async () => {
    const { sqlite, postgres } = await openBoth()
    const rows = logRows()
    for (const storage of [sqlite, postgres]) {
      // Batches of several sizes, as the write-behind buffer sends them.
      for (const [start, end] of [
        [0, 7],
        [7, 107],
        [107, rows.length],
      ] as const) {
        await storage.requestLogs.insertBatch(rows.slice(start, end))
      }
    }

    const queries: Omit<ListLogsQuery, 'cursor'>[] = [
      { limit: 37 },
      { limit: 50, status: 'error' },
      { limit: 20, status: '5xx', keyId: 1 },
      { limit: 5, status: 429, egressId: 2 },
      { limit: 9, model: 'a', from: T0, to: T0 + DAY },
    ]
    for (const query of queries) {
      const pages = await allPages(sqlite, query)
      expect(pages.length).toBeGreaterThan(1)
      expect(await allPages(postgres, query)).toEqual(pages)
    }

    const range = { from: T0 + 12_345, to: T0 + 2 * DAY + 777 }
    for (const bucket of Object.keys(STATS_BUCKETS) as StatsBucket[]) {
      for (const groupBy of [undefined, 'key', 'egress', 'client'] as const) {
        for (const only of [{}, { keyId: 2 }, { egressId: 1 }]) {
          const filter: StatsFilter = { ...range, bucket, groupBy, ...only }
          const expected = await sqlite.requestLogs.stats(filter)
          expect(expected.length).toBeGreaterThan(1)
          expect(await postgres.requestLogs.stats(filter), JSON.stringify(filter)).toEqual(expected)
        }
      }
    }

    const cutoff = T0 + DAY
    expect(await postgres.requestLogs.deleteOlderThan(cutoff, 100_000)).toBe(
      await sqlite.requestLogs.deleteOlderThan(cutoff, 100_000),
    )
  })
})
