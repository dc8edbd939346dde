import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { DATABASE_FILE } from '@sfp/db'
import { describe, expect, it } from 'vitest'
import { adminFetch, CHILD_UPSTREAM_KEY, startChildServer, startUpstream } from './child-server.js'
import { type CompletedRequest, inspectDatabaseFile, runProxyLoad } from './crash-load.js'

/** The request log's batch interval (plugins/request-log.ts, `flushIntervalMs`). */
const FLUSH_INTERVAL_MS = 1000
/** Timers of a busy process fire late; generous, the point is "about one interval, not more". */
const TIMER_SLACK_MS = 1000
const LOAD_MS = 3500

/**
 * What a crash costs the request log (README "Data and backups"): rows are queued in memory and
 * written in batches, one transaction a second, so a SIGKILL loses the rows of the requests that
 * ended in the last interval before it, and only those.
 */
describe('request log rows lost to a SIGKILL', () => {
  it('are only those of requests that ended within about one batch interval of it', async ({
    annotate,
  }) => {
    const upstream = await startUpstream(1)
    const server = await startChildServer(upstream, { DISPATCH_CONCURRENCY: '2' })
    const added = await adminFetch(server.url, '/api-keys', {
      method: 'POST',
      body: JSON.stringify({ api_key: CHILD_UPSTREAM_KEY }),
    })
    expect(added.status).toBe(201)

    let stopped = false
    const completed: CompletedRequest[] = []
    const refusals: string[] = []
    const load = Promise.all(
      [1, 2].map(() => runProxyLoad(server.url, () => stopped, completed, refusals)),
    )
    await sleep(LOAD_MS)
    stopped = true
    const killedAt = Date.now()
    server.process.child.kill('SIGKILL')
    await server.process.exited
    await load
    expect(refusals).toEqual([])

    const { integrity, loggedIds } = inspectDatabaseFile(join(server.dataDir, DATABASE_FILE))
    expect(integrity).toBe('ok')
    const lost = completed.filter(({ requestId }) => !loggedIds.has(requestId))
    const lostAges = lost.map(({ completedAt }) => killedAt - completedAt)
    const oldestLostMs = Math.max(0, ...lostAges)
    const figures = { completed: completed.length, lost: lost.length, oldestLostMs }
    await annotate(`request log rows lost to the SIGKILL ${JSON.stringify(figures)}`)
    // Enough traffic for the window to show, and rows older than it made it to disk.
    expect(completed.length).toBeGreaterThan(50)
    expect(completed.length - lost.length).toBeGreaterThan(0)
    expect(oldestLostMs).toBeLessThanOrEqual(FLUSH_INTERVAL_MS + TIMER_SLACK_MS)
  }, 30_000)
})
