import {
  createKeyEventsRepository,
  createSettingsStore,
  type DatabaseHandle,
  openDatabase,
} from '@sfp/db'
import { afterEach } from 'vitest'
import { createDispatch, type DispatchDeps } from '../../src/dispatch.js'
import { FakeKeyPool } from './fake-key-pool.js'
import { createManualClock } from './manual-clock.js'

const handles: DatabaseHandle[] = []
afterEach(() => {
  for (const handle of handles.splice(0)) handle.close()
})

/** A dispatch over a fake pool, an in-memory database and a manual clock. */
export function createTestDispatch(options: Partial<DispatchDeps> = {}) {
  const handle = openDatabase({ dataDir: '', fileName: ':memory:' })
  handles.push(handle)
  const clock = createManualClock()
  const pool = new FakeKeyPool()
  const keyEvents = createKeyEventsRepository(handle.db)
  const dispatch = createDispatch({
    pool,
    settings: createSettingsStore(handle.db),
    keyEvents,
    concurrency: 1,
    queueMax: 10,
    queueTimeoutMs: 60_000,
    guardMinutes: 30,
    policy: 'wait',
    now: clock.now,
    setTimer: clock.setTimer,
    ...options,
  })
  return { dispatch, pool, clock, keyEvents }
}
