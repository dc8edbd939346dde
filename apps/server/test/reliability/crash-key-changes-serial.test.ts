import { describe } from 'vitest'
import { crashLaneTest } from './crash-lane.js'

const KILLS = 16

/**
 * The same crash-safety check as `crash-key-changes`, under the default serialized dispatch
 * (one upstream call at a time, the rest queued) and with another seed: 16 more kills.
 */
describe('SIGKILL under admin writes and proxied traffic (default serialized dispatch)', () => {
  crashLaneTest({
    kills: KILLS,
    seed: 1_120_2026,
    env: { KEY_SWITCH_GUARD_MINUTES: '0' },
  })
})
