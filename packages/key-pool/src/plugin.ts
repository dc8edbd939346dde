// Brings in the database plugin's `app.database` augmentation (types only).
import type {} from '@sfp/db'
// Brings in the `app.clock` augmentation (types only).
import type {} from '@sfp/runtime'
import type { Config } from '@sfp/schemas'
import fp from 'fastify-plugin'
import type { Dispatcher } from 'undici'
import { createKeyPool, type KeyPoolSettings } from './create-key-pool.js'
import type { KeyPool } from './types.js'

declare module 'fastify' {
  interface FastifyInstance {
    keyPool: KeyPool
  }
}

/**
 * Its slice of the parsed `Config` (checked once, by `parseConfig`), so `{ ...config }` is a
 * valid options object.
 */
export type KeyPoolPluginOptions = Pick<
  Config,
  | 'upstreamBaseUrl'
  | 'autoQueryBalanceAfterCalls'
  | 'lowBalanceThreshold'
  | 'balanceRefreshMinutes'
  | 'keyErrorThreshold'
  | 'keyErrorCooldownMinutes'
  | 'upstreamConnectTimeoutMs'
  // Balance checks wait at most this or BALANCE_CHECK_TIMEOUT_MS, whichever is shorter.
  | 'upstreamHeadersTimeoutMs'
  | 'encryptionKey'
> & {
  dispatcher?: Dispatcher
}

/**
 * A balance answer is a few hundred bytes; waiting for it as long as for a thinking model's
 * first token (UPSTREAM_HEADERS_TIMEOUT_MS) would hold a dispatch slot for minutes.
 */
export const BALANCE_CHECK_TIMEOUT_MS = 15_000

/** The pool's settings from its `Config` slice: taken as they are, never validated again. */
export function keyPoolSettings(options: KeyPoolPluginOptions): KeyPoolSettings {
  return {
    upstreamBaseUrl: options.upstreamBaseUrl,
    autoQueryBalanceAfterCalls: options.autoQueryBalanceAfterCalls,
    lowBalanceThreshold: options.lowBalanceThreshold,
    balanceRefreshMinutes: options.balanceRefreshMinutes,
    keyErrorThreshold: options.keyErrorThreshold,
    keyErrorCooldownMinutes: options.keyErrorCooldownMinutes,
    upstreamConnectTimeoutMs: options.upstreamConnectTimeoutMs,
    balanceCheckTimeoutMs: Math.min(options.upstreamHeadersTimeoutMs, BALANCE_CHECK_TIMEOUT_MS),
    encryptionKey: options.encryptionKey,
  }
}

/**
 * `app.keyPool`. Throws at registration (stopping boot) when the stored keys do not match
 * ENCRYPTION_KEY. On close: timers cleared, background checks awaited, connections closed.
 */
export default fp<KeyPoolPluginOptions>(
  async (app, options) => {
    const settings = keyPoolSettings(options)
    const pool = await createKeyPool({
      storage: app.database,
      settings,
      log: app.log,
      clock: app.clock,
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    })
    app.decorate('keyPool', pool)
    app.log.info(
      { keys: pool.status().total, encrypted: settings.encryptionKey !== undefined },
      'key pool ready',
    )
    app.addHook('onClose', async () => {
      await pool.stop()
    })
  },
  { name: 'key-pool', fastify: '5.x', dependencies: ['clock', 'database'] },
)
