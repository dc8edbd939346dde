import type { ListLogsQuery } from '@sfp/schemas'
import { expect, it } from 'vitest'
import type { NewRequestLogRow } from '../../src/schema.js'
import type { Storage } from '../../src/storage.js'
import { describeStorage } from './dialects.js'
import { newLog, T0 } from './rows.js'

const HOUR = 3_600_000

/** Every list query the dashboard can send: the defaults plus `query`. */
const listed = (storage: Storage, query: Partial<ListLogsQuery> = {}) =>
  storage.requestLogs.list({ limit: 50, ...query })

const requestIdsOf = async (storage: Storage, query: Partial<ListLogsQuery>) =>
  (await listed(storage, query)).items.map((row) => row.requestId)

/** Rows around three hour buckets from T0, and one on each side of the range asked for. */
const STATS_ROWS: NewRequestLogRow[] = [
  newLog({ requestId: 'before', time: T0 + 9, upstreamKeyId: 1, durationMs: 5000 }),
  newLog({
    requestId: 'r1',
    time: T0 + 10,
    upstreamKeyId: 1,
    egressId: 1,
    durationMs: 100,
    ttfbMs: 40,
    promptTokens: 10,
    completionTokens: 20,
    totalTokens: 30,
  }),
  newLog({
    requestId: 'r2',
    time: T0 + HOUR - 1,
    upstreamKeyId: 2,
    egressId: 1,
    status: 429,
    durationMs: 51,
  }),
  newLog({
    requestId: 'r3',
    time: T0 + HOUR,
    upstreamKeyId: 1,
    egressId: 2,
    status: 500,
    durationMs: 7,
    ttfbMs: 3,
    promptTokens: 1,
    totalTokens: 1,
  }),
  newLog({ requestId: 'r4', time: T0 + HOUR + 5, durationMs: 10 }),
  newLog({
    requestId: 'r5',
    time: T0 + HOUR + 6,
    upstreamKeyId: 2,
    egressId: 2,
    status: 201,
    durationMs: 3,
  }),
  newLog({ requestId: 'r6', time: T0 + 2 * HOUR, upstreamKeyId: 2, status: 404, durationMs: 1 }),
  newLog({ requestId: 'after', time: T0 + 2 * HOUR + 1, upstreamKeyId: 1, durationMs: 5000 }),
]

const bucket = (start: number, groupId: number | null, totals: object) => ({
  start,
  groupId,
  requests: 1,
  errors: 0,
  promptTokens: 0,
  completionTokens: 0,
  totalTokens: 0,
  avgTtfbMs: null,
  cost: null,
  ...totals,
})

describeStorage('request log storage', ({ open }) => {
  it('stores every column as given, the defaults where none is given', async () => {
    const storage = await open()
    const full: NewRequestLogRow = {
      time: T0 + 2 ** 32,
      requestId: 'req-full',
      clientKeyId: 3,
      upstreamKeyId: 4,
      egressId: 5,
      clientIp: '203.0.113.9',
      method: 'POST',
      path: '/v1/audio/speech',
      model: 'Qwen/Qwen2.5-7B-Instruct',
      stream: true,
      status: 502,
      upstreamStatus: 503,
      attempts: 3,
      queueWaitMs: 12,
      ttfbMs: 34,
      durationMs: 56,
      promptTokens: 7,
      completionTokens: 8,
      totalTokens: 15,
      errorType: 'upstream_error',
      errorMessage: 'upstream said "no"',
      errorParams: { status: 503, detail: '服务繁忙 {"x": [1]}' },
      cost: 0.001234,
    }
    await storage.requestLogs.insertBatch([full, newLog({ requestId: 'req-bare' })])
    await storage.requestLogs.insertBatch([])

    const { items, nextCursor } = await listed(storage)
    expect(nextCursor).toBeNull()
    const [bare, stored] = items
    expect(stored).toEqual({ ...full, id: expect.any(Number) })
    expect(bare).toEqual({
      ...newLog({ requestId: 'req-bare' }),
      id: (stored?.id ?? 0) + 1,
      clientKeyId: null,
      upstreamKeyId: null,
      egressId: null,
      clientIp: null,
      model: null,
      stream: false,
      upstreamStatus: null,
      attempts: 0,
      queueWaitMs: null,
      ttfbMs: null,
      promptTokens: null,
      completionTokens: null,
      totalTokens: null,
      errorType: null,
      errorMessage: null,
      errorParams: null,
      cost: null,
    })
  })

  it('writes a batch all or nothing', async () => {
    const storage = await open()
    const broken = { ...newLog(), path: null } as unknown as NewRequestLogRow
    await expect(storage.requestLogs.insertBatch([newLog(), broken])).rejects.toThrow()
    expect((await listed(storage)).items).toEqual([])
  })

  it('lists newest first, page by page after the cursor', async () => {
    const storage = await open()
    await storage.requestLogs.insertBatch(
      ['a', 'b', 'c', 'd', 'e'].map((requestId) => newLog({ requestId })),
    )
    const first = await listed(storage, { limit: 2 })
    const second = await listed(storage, { limit: 2, cursor: first.nextCursor ?? undefined })
    const third = await listed(storage, { limit: 2, cursor: second.nextCursor ?? undefined })

    expect([first, second, third].map((page) => page.items.map((row) => row.requestId))).toEqual([
      ['e', 'd'],
      ['c', 'b'],
      ['a'],
    ])
    expect(first.nextCursor).toBe(String(first.items[1]?.id))
    expect(third.nextCursor).toBeNull()
    expect((await listed(storage, { limit: 5 })).nextCursor).toBeNull()
  })

  it('filters by key, egress, status, model and time, bounds included', async () => {
    const storage = await open()
    await storage.requestLogs.insertBatch(STATS_ROWS)
    await storage.requestLogs.insertBatch([
      newLog({ requestId: 'm', time: T0 + 1, model: 'm1', status: 302 }),
    ])

    expect(await requestIdsOf(storage, { keyId: 2 })).toEqual(['r6', 'r5', 'r2'])
    expect(await requestIdsOf(storage, { egressId: 1 })).toEqual(['r2', 'r1'])
    expect(await requestIdsOf(storage, { status: 429 })).toEqual(['r2'])
    expect(await requestIdsOf(storage, { status: '4xx' })).toEqual(['r6', 'r2'])
    expect(await requestIdsOf(storage, { status: '3xx' })).toEqual(['m'])
    expect(await requestIdsOf(storage, { status: 'error' })).toEqual(['r6', 'r3', 'r2'])
    expect(await requestIdsOf(storage, { model: 'm1' })).toEqual(['m'])
    expect(await requestIdsOf(storage, { from: T0 + 10, to: T0 + HOUR })).toEqual([
      'r3',
      'r2',
      'r1',
    ])
    expect(await requestIdsOf(storage, { keyId: 1, status: '2xx', to: T0 + 10 })).toEqual([
      'r1',
      'before',
    ])
  })

  it('totals each bucket: counts, errors, token sums, averages, maximum', async () => {
    const storage = await open()
    await storage.requestLogs.insertBatch(STATS_ROWS)
    const range = { from: T0 + 10, to: T0 + 2 * HOUR, bucket: 'hour' } as const

    expect(await storage.requestLogs.stats(range)).toEqual([
      bucket(T0, null, {
        requests: 2,
        errors: 1,
        promptTokens: 10,
        completionTokens: 20,
        totalTokens: 30,
        avgLatencyMs: 75.5,
        maxLatencyMs: 100,
        avgTtfbMs: 40,
      }),
      bucket(T0 + HOUR, null, {
        requests: 3,
        errors: 1,
        promptTokens: 1,
        totalTokens: 1,
        avgLatencyMs: 20 / 3,
        maxLatencyMs: 10,
        avgTtfbMs: 3,
      }),
      bucket(T0 + 2 * HOUR, null, { errors: 1, avgLatencyMs: 1, maxLatencyMs: 1 }),
    ])
    expect(await storage.requestLogs.stats({ ...range, bucket: 'day' })).toEqual([
      bucket(T0, null, {
        requests: 6,
        errors: 3,
        promptTokens: 11,
        completionTokens: 20,
        totalTokens: 31,
        avgLatencyMs: 172 / 6,
        maxLatencyMs: 100,
        avgTtfbMs: 43 / 2,
      }),
    ])
  })

  it('sums the cost of the priced requests of a bucket, null when none was priced', async () => {
    const storage = await open()
    await storage.requestLogs.insertBatch([
      newLog({ requestId: 'a', time: T0, cost: 0.25 }),
      newLog({ requestId: 'b', time: T0 + 1, cost: 0.5 }),
      newLog({ requestId: 'c', time: T0 + 2, cost: null }),
      newLog({ requestId: 'd', time: T0 + HOUR, cost: null }),
    ])
    const stats = await storage.requestLogs.stats({ from: T0, to: T0 + HOUR, bucket: 'hour' })
    expect(stats.map((row) => [row.requests, row.cost])).toEqual([
      [3, 0.75],
      [1, null],
    ])
  })

  it('totals per key or egress, and for one key or egress', async () => {
    const storage = await open()
    await storage.requestLogs.insertBatch(STATS_ROWS)
    const range = { from: T0 + 10, to: T0 + 2 * HOUR, bucket: 'hour' } as const
    const r1 = { promptTokens: 10, completionTokens: 20, totalTokens: 30, avgTtfbMs: 40 }
    const r3 = { errors: 1, promptTokens: 1, totalTokens: 1, avgTtfbMs: 3 }

    expect(await storage.requestLogs.stats({ ...range, groupBy: 'key' })).toEqual([
      bucket(T0, 1, { ...r1, avgLatencyMs: 100, maxLatencyMs: 100 }),
      bucket(T0, 2, { errors: 1, avgLatencyMs: 51, maxLatencyMs: 51 }),
      bucket(T0 + HOUR, null, { avgLatencyMs: 10, maxLatencyMs: 10 }),
      bucket(T0 + HOUR, 1, { ...r3, avgLatencyMs: 7, maxLatencyMs: 7 }),
      bucket(T0 + HOUR, 2, { avgLatencyMs: 3, maxLatencyMs: 3 }),
      bucket(T0 + 2 * HOUR, 2, { errors: 1, avgLatencyMs: 1, maxLatencyMs: 1 }),
    ])
    expect(await storage.requestLogs.stats({ ...range, keyId: 1 })).toEqual([
      bucket(T0, null, { ...r1, avgLatencyMs: 100, maxLatencyMs: 100 }),
      bucket(T0 + HOUR, null, { ...r3, avgLatencyMs: 7, maxLatencyMs: 7 }),
    ])
    expect(await storage.requestLogs.stats({ ...range, egressId: 2, groupBy: 'egress' })).toEqual([
      bucket(T0 + HOUR, 2, {
        ...r3,
        requests: 2,
        avgLatencyMs: 5,
        maxLatencyMs: 7,
      }),
    ])
  })

  it('deletes rows older than a time, at most `limit` at a time', async () => {
    const storage = await open()
    await storage.requestLogs.insertBatch(
      [0, 1, 2, 3].map((offset) => newLog({ requestId: `t${offset}`, time: T0 + offset })),
    )
    expect(await storage.requestLogs.deleteOlderThan(T0 + 3, 2)).toBe(2)
    expect(await storage.requestLogs.deleteOlderThan(T0 + 3, 2)).toBe(1)
    expect(await storage.requestLogs.deleteOlderThan(T0 + 3, 2)).toBe(0)
    expect(await requestIdsOf(storage, {})).toEqual(['t3'])
    expect(await storage.requestLogs.deleteOlderThan(T0 + 4)).toBe(1)
  })
})
