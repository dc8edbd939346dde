import { expect, it } from 'vitest'
import type { NewRequestLogRow, RequestLogRow } from '../../src/schema.js'
import type { Storage } from '../../src/storage.js'
import { describeStorage } from './dialects.js'
import { newLog, T0 } from './rows.js'

/**
 * Row `i` of a batch: each column given, null or left out in turn (at different periods, so that
 * rows of every shape sit in every place of a multi-row statement), text that quoting or an
 * encoding could break, times past 2^32 ms.
 */
function varied(i: number): NewRequestLogRow {
  const row: NewRequestLogRow = {
    time: T0 + 2 ** 32 + i * 1_009,
    requestId: `req-${i}`,
    method: i % 2 === 0 ? 'POST' : 'GET',
    path: i % 3 === 0 ? '/v1/embeddings' : `/v1/chat/completions?n=${i}`,
    status: [200, 201, 400, 429, 500, 502][i % 6] as number,
    durationMs: (i * 7_919) % 60_000,
  }
  const given = <T>(period: number, value: T): T | null | undefined =>
    i % period === 0 ? undefined : i % period === 1 ? null : value
  return {
    ...row,
    clientKeyId: given(3, 1 + (i % 4)),
    upstreamKeyId: given(4, 1 + (i % 5)),
    egressId: given(5, 1 + (i % 3)),
    clientIp: given(6, `198.51.100.${i % 256}`),
    model: given(7, `Qwen/Qwen2.5-${i % 9}B-Instruct`),
    stream: i % 3 === 0 ? undefined : i % 3 === 1,
    upstreamStatus: given(8, [200, 429, 503][i % 3]),
    attempts: i % 4 === 0 ? undefined : i % 4,
    queueWaitMs: given(9, i % 2000),
    ttfbMs: given(10, i % 5000),
    promptTokens: given(11, i * 13),
    completionTokens: given(12, i * 17),
    totalTokens: given(13, i * 30),
    errorType: given(14, i % 2 === 0 ? 'upstream_error' : 'rate_limited'),
    errorMessage: given(15, `upstream said "no" ${i} '; -- 中文`),
    errorParams: given(16, { status: 500 + (i % 4), detail: `细节 {"a": [${i}, 2]}` }),
    cost: given(17, i / 3),
  }
}

/** The row as stored: what was left out or undefined takes the column's default. */
function stored(row: NewRequestLogRow, id: number): RequestLogRow {
  return {
    id,
    time: row.time,
    requestId: row.requestId,
    clientKeyId: row.clientKeyId ?? null,
    upstreamKeyId: row.upstreamKeyId ?? null,
    egressId: row.egressId ?? null,
    clientIp: row.clientIp ?? null,
    method: row.method,
    path: row.path,
    model: row.model ?? null,
    stream: row.stream ?? false,
    status: row.status,
    upstreamStatus: row.upstreamStatus ?? null,
    attempts: row.attempts ?? 0,
    queueWaitMs: row.queueWaitMs ?? null,
    ttfbMs: row.ttfbMs ?? null,
    durationMs: row.durationMs,
    promptTokens: row.promptTokens ?? null,
    completionTokens: row.completionTokens ?? null,
    totalTokens: row.totalTokens ?? null,
    errorType: row.errorType ?? null,
    errorMessage: row.errorMessage ?? null,
    errorParams: row.errorParams ?? null,
    cost: row.cost ?? null,
  }
}

/** Every row of the log, oldest first, read page by page. */
async function everyRow(storage: Storage): Promise<RequestLogRow[]> {
  const rows: RequestLogRow[] = []
  let cursor: string | undefined
  do {
    const page = await storage.requestLogs.list({ limit: 500, cursor })
    rows.push(...page.items)
    cursor = page.nextCursor ?? undefined
  } while (cursor !== undefined)
  return rows.reverse()
}

/** `rows` stored in their order, with consecutive ids from the first one's. */
function expectStoredInOrder(actual: RequestLogRow[], rows: NewRequestLogRow[]): void {
  expect(actual).toHaveLength(rows.length)
  const first = actual[0]?.id ?? 0
  expect(actual).toEqual(rows.map((row, i) => stored(row, first + i)))
}

describeStorage('request log batches', ({ open }) => {
  it('writes a batch of 2,500 rows as given, in order, every column', async () => {
    const storage = await open()
    const rows = Array.from({ length: 2_500 }, (_, i) => varied(i))
    await storage.requestLogs.insertBatch(rows)
    expectStoredInOrder(await everyRow(storage), rows)
  })

  it('keeps the order across batches of every size', async () => {
    const storage = await open()
    // 63 is one statement of each size on SQLite (32 + 16 + 8 + 4 + 2 + 1); the others fall on
    // either side of its 32 rows.
    const sizes = [63, 1, 32, 33, 31, 100, 2]
    const rows = Array.from({ length: sizes.reduce((sum, size) => sum + size, 0) }, (_, i) =>
      varied(i),
    )
    let next = 0
    for (const size of sizes) {
      await storage.requestLogs.insertBatch(rows.slice(next, next + size))
      next += size
    }
    expectStoredInOrder(await everyRow(storage), rows)
  })

  it('writes nothing of a large batch when its last row fails', async () => {
    const storage = await open()
    await storage.requestLogs.insertBatch([newLog({ requestId: 'before' })])
    const rows = Array.from({ length: 1_000 }, (_, i) => varied(i))
    const broken = { ...newLog(), path: null } as unknown as NewRequestLogRow
    await expect(storage.requestLogs.insertBatch([...rows, broken])).rejects.toThrow()
    // Failed in the middle of a statement of many rows: none of them is left either.
    await expect(
      storage.requestLogs.insertBatch([...rows.slice(0, 40), broken, ...rows.slice(40, 60)]),
    ).rejects.toThrow()
    expect((await everyRow(storage)).map((row) => row.requestId)).toEqual(['before'])

    // The same rows go in afterwards, as a retry of the write-behind would write them.
    await storage.requestLogs.insertBatch(rows)
    const [first, ...rest] = await everyRow(storage)
    expect(first?.requestId).toBe('before')
    expectStoredInOrder(rest, rows)
  })
})
