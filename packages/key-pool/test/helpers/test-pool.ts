import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type DatabaseHandle,
  type KeyEventRow,
  openDatabase,
  sqliteStorage,
  type UpstreamKeyRow,
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
  return { handle, storage: sqliteStorage(handle) }
}

/**
 * Resolves once the database writes already started have landed. A state change or key event
 * starts its write at once, but the write-behind starts a write only after the one in flight has
 * settled, and the `Storage` methods answer with Promises: with `sqliteStorage` those are
 * settled, so the chain runs out in microtasks, before the next turn of the event loop. Writes
 * that wait for COUNTER_FLUSH_MS (on the manual clock) stay queued.
 */
export function writesLanded(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/** Every stored key row, once the writes already started have landed. */
export async function storedKeys(storage: KeyPoolStorage): Promise<UpstreamKeyRow[]> {
  await writesLanded()
  return storage.upstreamKeys.all()
}

/** Stored key events, newest first, once the writes already started have landed. */
export async function storedEvents(
  storage: KeyPoolStorage,
  filter: { keyId?: number; limit: number },
): Promise<KeyEventRow[]> {
  await writesLanded()
  return storage.keyEvents.list(filter)
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
export async function createTestPool(options: TestPoolOptions = {}): Promise<TestPool> {
  const { clock = createManualClock(), dataDir = tempDataDir() } = options
  const { handle, storage } = openStorage(dataDir)
  const settings = { ...DEFAULT_SETTINGS, ...options.settings }
  const pool = await createKeyPool({ storage, settings, clock })
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
export async function addKeys(pool: KeyPoolService, keys: string[]): Promise<number[]> {
  const { added } = await pool.add({ api_keys: keys.join('\n') })
  return added.map((key) => key.id)
}
