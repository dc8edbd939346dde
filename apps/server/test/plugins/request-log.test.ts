import { openDatabase } from '@sfp/db'
import { createManualClock } from '@sfp/test-support'
import { describe, expect, it } from 'vitest'
import { REQUEST_LOG_BATCH_ROWS } from '../../src/plugins/request-log.js'
import { logRow } from '../helpers/log-rows.js'
import { buildTestApp, sqliteOf, tempDataDir } from '../helpers/test-app.js'

const count = (app: Awaited<ReturnType<typeof buildTestApp>>['app']) =>
  (
    sqliteOf(app).prepare('SELECT count(*) AS n FROM request_logs').get() as {
      n: number
    }
  ).n

describe('request log', () => {
  it('queues rows off the request path and writes them in one batch on flush', async () => {
    const { app } = await buildTestApp()
    app.requestLog.record(logRow())
    app.requestLog.record(logRow())
    expect(app.requestLog.pending()).toBe(2)
    expect(count(app)).toBe(0)
    await app.requestLog.flush()
    expect(app.requestLog.pending()).toBe(0)
    expect(count(app)).toBe(2)
  })

  it('writes full batches without waiting for the timer, one per turn of the event loop', async () => {
    const { app } = await buildTestApp()
    const batch = REQUEST_LOG_BATCH_ROWS
    for (let i = 0; i < 2.5 * batch; i++) app.requestLog.record(logRow())
    const turn = () => new Promise((resolve) => setImmediate(resolve))
    await turn()
    expect(count(app)).toBe(batch)
    await turn()
    expect(count(app)).toBe(2 * batch)
    // The rest, less than a batch, goes on the next turn: a drain runs until the queue is empty.
    await turn()
    expect(count(app)).toBe(2.5 * batch)
  })

  it('catches up for a reader a batch per turn, without waiting for rows queued later', async () => {
    const { app } = await buildTestApp()
    // Below a batch: no drain is scheduled, only the timer (1 s) would write them.
    const below = REQUEST_LOG_BATCH_ROWS - 1
    for (let i = 0; i < below; i++) app.requestLog.record(logRow())
    expect(count(app)).toBe(0)
    let caughtUp = false
    const reading = app.requestLog.catchUp().then(() => {
      caughtUp = true
    })
    expect(count(app)).toBe(below) // the first batch is written at once
    for (let i = 0; i < 5; i++) app.requestLog.record(logRow()) // arrive while the reader waits
    await reading
    expect(caughtUp).toBe(true)
    expect(count(app)).toBe(below)
    expect(app.requestLog.pending()).toBe(5)
  })

  it('catches up a backlog across turns of the event loop, never in one go', async () => {
    const { app } = await buildTestApp()
    const batch = REQUEST_LOG_BATCH_ROWS
    for (let i = 0; i < 2.5 * batch; i++) app.requestLog.record(logRow())
    const reading = app.requestLog.catchUp()
    expect(count(app)).toBe(batch) // one batch, then the event loop gets a turn
    await reading
    expect(count(app)).toBe(2.5 * batch)
    expect(app.requestLog.pending()).toBe(0)
  })

  it('flushes queued rows on shutdown', async () => {
    const dataDir = tempDataDir()
    const { app } = await buildTestApp({}, { dataDir })
    app.requestLog.record(logRow({ requestId: 'last-words' }))
    await app.close()
    const handle = openDatabase({ dataDir })
    const row = handle.sqlite.prepare('SELECT request_id FROM request_logs').get()
    handle.close()
    expect(row).toEqual({ request_id: 'last-words' })
  })

  it('deletes rows older than LOG_RETENTION_DAYS at boot', async () => {
    const dataDir = tempDataDir()
    const now = Date.parse('2026-11-26T00:00:00Z')
    const first = await buildTestApp({}, { dataDir, clock: createManualClock(now) })
    first.app.requestLog.record(logRow({ requestId: 'old', time: now - 31 * 86_400_000 }))
    first.app.requestLog.record(logRow({ requestId: 'recent', time: now - 29 * 86_400_000 }))
    await first.app.close()

    const second = await buildTestApp(
      { LOG_RETENTION_DAYS: '30' },
      { dataDir, clock: createManualClock(now) },
    )
    await new Promise((resolve) => setTimeout(resolve, 20))
    const ids = sqliteOf(second.app).prepare('SELECT request_id AS id FROM request_logs').all()
    expect(ids).toEqual([{ id: 'recent' }])
  })
})

describe('request log flush subscription', () => {
  it('tells each subscriber about every batch written, until it unsubscribes', async () => {
    const { app } = await buildTestApp()
    const seen: number[] = []
    const stop = app.requestLog.onFlush((flush) => seen.push(flush.rows))
    app.requestLog.onFlush(() => {
      throw new Error('a failing observer is logged, not passed on')
    })
    app.requestLog.record(logRow())
    app.requestLog.record(logRow())
    await app.requestLog.flush()
    expect(seen).toEqual([2])
    expect(count(app)).toBe(2)
    stop()
    app.requestLog.record(logRow())
    await app.requestLog.flush()
    expect(seen).toEqual([2])
    expect(count(app)).toBe(3)
  })
})
