import { describe, expect, it } from 'vitest'
import { startUpstream } from './child-server.js'
import { runCrashLane, summarize } from './crash-lane.js'

const KILLS = 16

/**
 * Crash safety of the admin API's writes (SQLite in WAL mode, `synchronous = NORMAL`): a SIGKILL
 * at any moment may lose a change the client never heard back about, never one it did, and
 * never the database's integrity. Request log rows are another matter: written in batches
 * (README), those of the last second before a crash are lost; they are counted, not required.
 * Two files of 16 kills each (this one and `crash-key-changes-serial`) make the 32 kills.
 */
describe('SIGKILL under admin writes and proxied traffic (DISPATCH_CONCURRENCY=2)', () => {
  it(`keeps every acknowledged key change and an intact database across ${KILLS} kills`, async ({
    annotate,
  }) => {
    const startedAt = Date.now()
    const records = await runCrashLane({
      upstream: await startUpstream(1),
      kills: KILLS,
      seed: 20_261_120,
      killAfterMs: { min: 20, max: 700 },
      // The admin changes keys all the time; no guard window may hold the pool on one of them.
      env: { KEY_SWITCH_GUARD_MINUTES: '0', DISPATCH_CONCURRENCY: '2' },
    })
    expect(records).toHaveLength(KILLS)
    await annotate(`crash figures ${JSON.stringify(summarize(records, startedAt))}`)
  }, 90_000)
})
