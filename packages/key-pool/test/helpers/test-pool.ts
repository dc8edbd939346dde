import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  createKeyEventsRepository,
  createSettingsStore,
  createUpstreamKeysRepository,
  type DatabaseHandle,
  openDatabase,
} from '@sfp/db'
import { createManualClock, type ManualClock } from '@sfp/test-support'
import { type MockAccount, type MockUpstream, startMockUpstream } from '@sfp/test-support/upstream'
import { afterEach } from 'vitest'
import { createKeyPool, type KeyPoolSettings } from '../../src/create-key-pool.js'
import type { KeyPoolStorage } from '../../src/key-store.js'
import type { KeyPoolService } from '../../src/types.js'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

export function tempDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sfp-key-pool-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** A port nothing listens on: a pool pointed here can never reach the internet by mistake. */
export const NOWHERE = 'http://127.0.0.1:9'

export const DEFAULT_SETTINGS: KeyPoolSettings = {
  upstreamBaseUrl: NOWHERE,
  lowBalanceThreshold: 1,
  autoQueryBalanceAfterCalls: 0,
  balanceRefreshMinutes: 0,
  keyErrorThreshold: 3,
  keyErrorCooldownMinutes: 10,
  upstreamConnectTimeoutMs: 1000,
  balanceCheckTimeoutMs: 2000,
}

export function openStorage(dataDir: string): { handle: DatabaseHandle; storage: KeyPoolStorage } {
  const handle = openDatabase({ dataDir })
  cleanups.push(() => handle.close())
  return {
    handle,
    storage: {
      upstreamKeys: createUpstreamKeysRepository(handle.db),
      keyEvents: createKeyEventsRepository(handle.db),
      settings: createSettingsStore(handle.db),
    },
  }
}

export interface TestPool {
  pool: KeyPoolService
  storage: KeyPoolStorage
  handle: DatabaseHandle
  clock: ManualClock
  dataDir: string
  /** Stop this pool and build a new one on the same database, as a restart does. */
  restart(settings?: Partial<KeyPoolSettings>): Promise<TestPool>
}

export interface TestPoolOptions {
  settings?: Partial<KeyPoolSettings>
  clock?: ManualClock
  dataDir?: string
}

/** A pool on a fresh SQLite file, stopped (and the file removed) after the test. */
export function createTestPool(options: TestPoolOptions = {}): TestPool {
  const { clock = createManualClock(), dataDir = tempDataDir() } = options
  const { handle, storage } = openStorage(dataDir)
  const settings = { ...DEFAULT_SETTINGS, ...options.settings }
  const pool = createKeyPool({ storage, settings, clock })
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    await pool.stop()
  }
  cleanups.push(stop)
  return {
    pool,
    storage,
    handle,
    clock,
    dataDir,
    async restart(next = {}) {
      await stop()
      handle.close()
      return createTestPool({ settings: { ...settings, ...next }, clock, dataDir })
    },
  }
}

/** The mock SiliconFlow on a real socket, closed after the test. */
export async function startUpstream(accounts: Record<string, MockAccount>): Promise<MockUpstream> {
  const upstream = await startMockUpstream({ accounts })
  cleanups.push(() => upstream.close())
  return upstream
}

/** Keys that look like SiliconFlow's: `sk-` and 48 lowercase letters and digits. */
export function fakeKey(n: number): string {
  return `sk-${n.toString(36).padStart(8, '0')}${'k'.repeat(40)}`
}

/** Add keys and return their ids, in order. */
export function addKeys(pool: KeyPoolService, keys: string[]): number[] {
  return pool.add({ api_keys: keys.join('\n') }).added.map((key) => key.id)
}
