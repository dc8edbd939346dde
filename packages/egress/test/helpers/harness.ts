import { inspect } from 'node:util'
import {
  type DatabaseHandle,
  type EgressRow,
  openDatabase,
  type Storage,
  sqliteStorage,
  type UpstreamKeyRow,
} from '@sfp/db'
import { explanation, type ParsedProxyUrl, parseEgressUrl } from '@sfp/schemas'
import type { ManualClock } from '@sfp/test-support'
import {
  type HttpConnectProxyOptions,
  type Socks5ProxyOptions,
  startHttpConnectProxy,
  startSocks5Proxy,
} from '@sfp/test-support'
import { type MockUpstreamOptions, startMockUpstream } from '@sfp/test-support/upstream'
import { afterEach } from 'vitest'
import {
  createEgressService,
  type EgressServiceDeps,
  type EgressSettings,
} from '../../src/create-egress-service.js'
import type { EgressService } from '../../src/types.js'

/** Nothing listens on port 9: a request there is refused at once (ECONNREFUSED). */
export const NOWHERE = 'http://127.0.0.1:9'

/** A lane's failures as the proxy reports them: a refused way out, an IP-block answer. */
export const REFUSED = explanation('egress_down', {
  cause: 'connection_refused',
  code: 'ECONNREFUSED',
})
export const BLOCKED = explanation('egress_blocked', { status: 403 })

/** A key long enough for ENCRYPTION_KEY (16+ characters). */
export const ENCRYPTION_KEY = 'egress-tests-encryption-key-0001'

const cleanups: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** Run `cleanup` after the current test, in reverse order of registration. */
export function onCleanup(cleanup: () => Promise<unknown> | unknown): void {
  cleanups.push(cleanup)
}

export function testSettings(overrides: Partial<EgressSettings> = {}): EgressSettings {
  return {
    upstreamBaseUrl: NOWHERE,
    upstreamConnectTimeoutMs: 2000,
    checkTimeoutMs: 2000,
    egressDirect: true,
    egressDirectAddress: undefined,
    egressProxies: [],
    egressBlockCodes: [50603],
    egressBlockMinutes: 30,
    encryptionKey: undefined,
    ...overrides,
  }
}

export interface TestDatabase {
  handle: DatabaseHandle
  storage: Storage
}

/** A private in-memory database, migrated, closed after the test. */
export function memoryDatabase(): TestDatabase {
  const handle = openDatabase({ dataDir: '', fileName: ':memory:' })
  onCleanup(() => handle.close())
  return { handle, storage: sqliteStorage(handle) }
}

/**
 * Resolves once the database writes already started have landed. A state change starts its write
 * at once, but the write-behind starts a write only after the one in flight has settled, and the
 * `Storage` methods answer with Promises: with `sqliteStorage` those are settled, so the chain
 * runs out in microtasks, before the next turn of the event loop. Writes that wait for the flush
 * interval (on the manual clock) stay queued.
 */
export function writesLanded(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/** The stored egress rows, once the writes already started have landed. */
export async function storedEgresses(db: TestDatabase): Promise<EgressRow[]> {
  await writesLanded()
  return db.storage.egresses.all()
}

/** A stored key row, as the key pool would hand it over. */
export function keyRow(fields: Partial<UpstreamKeyRow> & { id: number }): UpstreamKeyRow {
  return {
    secret: `sk-stored-${fields.id}`,
    fingerprint: `fingerprint-${fields.id}`,
    maskedKey: `sk-sto…${fields.id}`,
    label: null,
    status: 'active',
    balance: null,
    balanceCheckedAt: null,
    callCount: 0,
    errorCount: 0,
    consecutiveErrors: 0,
    rateLimitStrikes: 0,
    successesSinceCheck: 0,
    lastError: null,
    lastErrorDetail: null,
    lastUsedAt: null,
    cooldownUntil: null,
    rateLimitClass: null,
    egressId: null,
    egressUsedAt: null,
    spent: null,
    blockedModels: null,
    createdAt: 0,
    updatedAt: 0,
    ...fields,
  }
}

/** The service's `keys` dependency, recording every call made to it. */
export interface FakeKeys {
  rows(): UpstreamKeyRow[]
  bind(id: number, egressId: number, usedAt: number): void
  unbindEgress(egressId: number, lastUse: { keyId: number; usedAt: number } | null): void
  binds: [id: number, egressId: number, usedAt: number][]
  unbinds: [egressId: number, lastUse: { keyId: number; usedAt: number } | null][]
  /** Every call, in order, with `onRemoving` calls when `trace` is passed to it. */
  trace: string[]
}

export function fakeKeys(rows: UpstreamKeyRow[] = []): FakeKeys {
  const fake: FakeKeys = {
    binds: [],
    unbinds: [],
    trace: [],
    rows: () => rows,
    bind(id, egressId, usedAt) {
      fake.binds.push([id, egressId, usedAt])
      fake.trace.push(`bind ${id}`)
    },
    unbindEgress(egressId, lastUse) {
      fake.unbinds.push([egressId, lastUse])
      fake.trace.push(`unbind ${egressId}`)
    },
  }
  return fake
}

/** Everything logged, as text (fields through `util.inspect`, so errors show in full). */
export interface RecordingLog {
  info(fields: object, message: string): void
  warn(fields: object, message: string): void
  lines: string[]
}

export function recordingLog(): RecordingLog {
  const lines: string[] = []
  const record = (level: string) => (fields: object, message: string) => {
    lines.push(`${level} ${message} ${inspect(fields, { depth: 10, showHidden: true })}`)
  }
  return { info: record('info'), warn: record('warn'), lines }
}

export interface ServiceOptions {
  db?: TestDatabase
  settings?: Partial<EgressSettings>
  keys?: FakeKeys
  clock?: ManualClock
  log?: EgressServiceDeps['log']
}

/** `createEgressService` on a test database, closed after the test. */
export async function startService(options: ServiceOptions = {}) {
  const db = options.db ?? memoryDatabase()
  const keys = options.keys ?? fakeKeys()
  const service: EgressService = await createEgressService({
    storage: db.storage,
    settings: testSettings(options.settings),
    keys,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.log ? { log: options.log } : {}),
  })
  onCleanup(() => service.close())
  return { service, db, keys }
}

/** The built-in direct egress's id. */
export function builtinId(service: EgressService): number {
  const lane = service.lanes().find((candidate) => candidate.builtin)
  if (!lane) throw new Error('no built-in direct egress')
  return lane.id
}

/** Resolves at the service's next `onChange`. */
export function nextChange(service: EgressService): Promise<void> {
  return new Promise((resolve) => {
    const stop = service.onChange(() => {
      stop()
      resolve()
    })
  })
}

export function proxy(url: string): ParsedProxyUrl {
  const parsed = parseEgressUrl(url)
  if ('ok' in parsed || parsed.kind === 'direct') throw new Error(`not a proxy URL: ${url}`)
  return parsed
}

export async function upstream(options: MockUpstreamOptions = {}) {
  const mock = await startMockUpstream(options)
  onCleanup(() => mock.close())
  return mock
}

export async function httpProxy(options: HttpConnectProxyOptions = {}) {
  const started = await startHttpConnectProxy(options)
  onCleanup(() => started.close())
  return started
}

export async function socksProxy(options: Socks5ProxyOptions = {}) {
  const started = await startSocks5Proxy(options)
  onCleanup(() => started.close())
  return started
}

/** The rejection of `promise`, failing when it fulfils. */
export async function rejectionOf(promise: PromiseLike<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

/** The error `fn` throws, failing when it returns. */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}
