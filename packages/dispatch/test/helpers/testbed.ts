import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type DatabaseHandle, openDatabase, sqliteStorage } from '@sfp/db'
import { createEgressService, type EgressService } from '@sfp/egress'
import { createKeyPool, type KeyPoolService } from '@sfp/key-pool'
import {
  explanation,
  type KeySwitchPolicy,
  type ParsedProxyUrl,
  parseEgressUrl,
} from '@sfp/schemas'
import { createManualClock, type ManualClock } from '@sfp/test-support'
import { afterEach } from 'vitest'
import { createDispatch, type DispatchService } from '../../src/dispatch.js'

/** A lane's failures as the proxy reports them: a refused way out, an IP-block answer. */
export const REFUSED = explanation('egress_down', {
  cause: 'connection_refused',
  code: 'ECONNREFUSED',
})
export const BLOCKED = explanation('egress_blocked', { status: 403 })

/** Nothing listens on port 9: no test here ever reaches an upstream by mistake. */
export const NOWHERE = 'http://127.0.0.1:9'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

export interface TestbedOptions {
  /** Proxy egresses besides the built-in direct one (their URLs are never dialled here). */
  proxies?: number
  /** Keys added in creation order, `sk-testbed-key-<n>`. */
  keys?: number
  concurrency?: number
  queueMax?: number
  /** CLIENT_QUEUE_SHARE (default 0.5, as the setting's). */
  clientQueueShare?: number
  queueTimeoutMs?: number
  guardMinutes?: number
  policy?: KeySwitchPolicy
  egressDirect?: boolean
  /** Reuse a data folder (a restart of the same gateway). */
  dataDir?: string
  clock?: ManualClock
  reportError?: (error: unknown) => void
  /** The look-alike upstream the pool's checks ask (default: nowhere). */
  upstreamBaseUrl?: string
  /** BALANCE_REFRESH_MINUTES (default 0: no periodic check). */
  balanceRefreshMinutes?: number
}

export interface Testbed {
  dispatch: DispatchService
  pool: KeyPoolService
  egress: EgressService
  clock: ManualClock
  handle: DatabaseHandle
  dataDir: string
  /** Ids of the keys, in creation order. */
  keyIds: number[]
  /** Ids of the egresses: the built-in direct one first, then the proxies. */
  laneIds: number[]
  /** Close it all, as a shutdown would (the data folder stays). */
  close(): Promise<void>
}

export const proxyUrl = (index: number): ParsedProxyUrl =>
  parseEgressUrl(`http://127.0.0.1:${20_000 + index}`) as ParsedProxyUrl

/**
 * The real key pool, egress service and dispatch over a SQLite file, driven by a manual clock:
 * lanes, keys and guards behave exactly as in the server, without any upstream call.
 */
export async function createTestbed(options: TestbedOptions = {}): Promise<Testbed> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'sfp-dispatch-'))
  if (options.dataDir === undefined) {
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }))
  }
  const clock = options.clock ?? createManualClock()
  const handle = openDatabase({ dataDir })
  const storage = sqliteStorage(handle)
  const pool = await createKeyPool({
    storage,
    clock,
    settings: {
      upstreamBaseUrl: options.upstreamBaseUrl ?? NOWHERE,
      lowBalanceThreshold: 1,
      autoQueryBalanceAfterCalls: 0,
      balanceRefreshMinutes: options.balanceRefreshMinutes ?? 0,
      keyErrorThreshold: 3,
      keyErrorCooldownMinutes: 10,
      upstreamConnectTimeoutMs: 1000,
      balanceCheckTimeoutMs: 1000,
    },
  })
  const keys = Array.from({ length: options.keys ?? 0 }, (_, n) => `sk-testbed-key-${n + 1}-xxxxxx`)
  if (keys.length > 0 && pool.status().total === 0) await pool.add({ api_keys: keys.join('\n') })
  const egress = await createEgressService({
    storage,
    clock,
    settings: {
      upstreamBaseUrl: NOWHERE,
      upstreamConnectTimeoutMs: 1000,
      checkTimeoutMs: 1000,
      egressDirect: options.egressDirect ?? true,
      egressDirectAddress: undefined,
      egressProxies: Array.from({ length: options.proxies ?? 0 }, (_, n) => proxyUrl(n + 1)),
      egressBlockCodes: [50603],
      egressBlockMinutes: 30,
    },
    keys: {
      rows: () => pool.rows(),
      bind: (id, egressId, usedAt) => pool.bind(id, egressId, usedAt),
      unbindEgress: (egressId) => pool.unbindEgress(egressId),
    },
  })
  const dispatch = createDispatch({
    pool,
    egress,
    concurrency: options.concurrency ?? 1,
    queueMax: options.queueMax ?? 100,
    clientQueueShare: options.clientQueueShare ?? 0.5,
    queueTimeoutMs: options.queueTimeoutMs ?? 60_000,
    guardMinutes: options.guardMinutes ?? 30,
    policy: options.policy ?? 'wait',
    clock,
    ...(options.reportError ? { reportError: options.reportError } : {}),
  })
  pool.useUpstreamGate(dispatch.upstreamGate)
  pool.useKeysInUse(dispatch.keysInUse)
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    dispatch.close()
    await egress.close()
    await pool.stop()
    handle.close()
  }
  cleanups.push(close)
  return {
    dispatch,
    pool,
    egress,
    clock,
    handle,
    dataDir,
    keyIds: [...pool.rows()].map((row) => row.id),
    laneIds: egress.lanes().map((lane) => lane.id),
    close,
  }
}

/** Let promise callbacks run (grants resolve through the microtask queue). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve()
}
