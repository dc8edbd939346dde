import { describe, expect, it } from 'vitest'
import { startUpstream } from './child-server.js'
import { runCrashLane, summarize } from './crash-lane.js'

const KILLS = 16

/**
 * The same crash-safety check as `crash-key-changes`, under the default serialized dispatch
 * (one upstream call at a time, the rest queued) and with another seed: 16 more kills.
 */
describe('SIGKILL under admin writes and proxied traffic (default serialized dispatch)', () => {
  it(`keeps every acknowledged key change and an intact database across ${KILLS} kills`, async ({
    annotate,
  }) => {
    const startedAt = Date.now()
    const records = await runCrashLane({
      upstream: await startUpstream(1),
      kills: KILLS,
      seed: 1_120_2026,
      killAfterMs: { min: 20, max: 700 },
      env: { KEY_SWITCH_GUARD_MINUTES: '0' },
    })
    expect(records).toHaveLength(KILLS)
    await annotate(`crash figures ${JSON.stringify(summarize(records, startedAt))}`)
  }, 90_000)
})
