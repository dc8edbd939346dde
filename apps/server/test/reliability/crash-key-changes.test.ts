import { describe } from 'vitest'
import { crashLaneTest } from './crash-lane.js'

const KILLS = 16

/**
 * Crash safety of the admin API's writes (SQLite in WAL mode, `synchronous = NORMAL`): a SIGKILL
 * at any moment may lose a change the client never heard back about, never one it did, and
 * never the database's integrity. Request log rows are another matter: written in batches
 * (README), those of the last second before a crash are lost; they are counted, not required.
 * Two files of 16 kills each (this one and `crash-key-changes-serial`) make the 32 kills.
 */
describe('SIGKILL under admin writes and proxied traffic (DISPATCH_CONCURRENCY=2)', () => {
  crashLaneTest({
    kills: KILLS,
    seed: 20_261_120,
    // The admin changes keys all the time; no guard window may hold the pool on one of them.
    env: { KEY_SWITCH_GUARD_MINUTES: '0', DISPATCH_CONCURRENCY: '2' },
  })
})
