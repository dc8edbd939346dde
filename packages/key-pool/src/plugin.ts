import { describeIssues, envSchema } from '@sfp/schemas'
import fp from 'fastify-plugin'
import type { Dispatcher } from 'undici'
import { createKeyPool, type KeyPoolSettings } from './create-key-pool.js'
import type { KeyPoolStorage } from './key-store.js'
import type { KeyPool } from './types.js'

declare module 'fastify' {
  interface FastifyInstance {
    keyPool: KeyPool
  }
}

/** Named like `Config`'s fields, so `{ ...config, now }` is a valid options object. */
export interface KeyPoolPluginOptions {
  upstreamBaseUrl?: string
  autoQueryBalanceAfterCalls?: number
  lowBalanceThreshold?: number
  balanceRefreshMinutes?: number
  keyErrorThreshold?: number
  keyErrorCooldownMinutes?: number
  upstreamConnectTimeoutMs?: number
  /** Balance checks wait at most this or BALANCE_CHECK_TIMEOUT_MS, whichever is shorter. */
  upstreamHeadersTimeoutMs?: number
  encryptionKey?: string | undefined
  now?: () => number
  dispatcher?: Dispatcher
}

/**
 * A balance answer is a few hundred bytes; waiting for it as long as for a thinking model's
 * first token (UPSTREAM_HEADERS_TIMEOUT_MS) would hold a dispatch slot for minutes.
 */
export const BALANCE_CHECK_TIMEOUT_MS = 15_000

/** The same rules and defaults as the settings themselves, so a value valid in env is valid here. */
const settingsSchema = envSchema.pick({
  UPSTREAM_BASE_URL: true,
  AUTO_QUERY_BALANCE_AFTER_CALLS: true,
  LOW_BALANCE_THRESHOLD: true,
  BALANCE_REFRESH_MINUTES: true,
  KEY_ERROR_THRESHOLD: true,
  KEY_ERROR_COOLDOWN_MINUTES: true,
  UPSTREAM_CONNECT_TIMEOUT_MS: true,
  UPSTREAM_HEADERS_TIMEOUT_MS: true,
  ENCRYPTION_KEY: true,
})

export function parseKeyPoolOptions(options: KeyPoolPluginOptions): KeyPoolSettings {
  const result = settingsSchema.safeParse({
    UPSTREAM_BASE_URL: options.upstreamBaseUrl,
    AUTO_QUERY_BALANCE_AFTER_CALLS: options.autoQueryBalanceAfterCalls,
    LOW_BALANCE_THRESHOLD: options.lowBalanceThreshold,
    BALANCE_REFRESH_MINUTES: options.balanceRefreshMinutes,
    KEY_ERROR_THRESHOLD: options.keyErrorThreshold,
    KEY_ERROR_COOLDOWN_MINUTES: options.keyErrorCooldownMinutes,
    UPSTREAM_CONNECT_TIMEOUT_MS: options.upstreamConnectTimeoutMs,
    UPSTREAM_HEADERS_TIMEOUT_MS: options.upstreamHeadersTimeoutMs,
    ENCRYPTION_KEY: options.encryptionKey,
  })
  if (!result.success) {
    // Never echo values: ENCRYPTION_KEY is among them.
    throw new TypeError(`Invalid key pool options: ${describeIssues(result.error.issues).message}`)
  }
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw new TypeError('Invalid key pool options: now must be a function returning milliseconds')
  }
  const settings = result.data
  return {
    upstreamBaseUrl: settings.UPSTREAM_BASE_URL,
    autoQueryBalanceAfterCalls: settings.AUTO_QUERY_BALANCE_AFTER_CALLS,
    lowBalanceThreshold: settings.LOW_BALANCE_THRESHOLD,
    balanceRefreshMinutes: settings.BALANCE_REFRESH_MINUTES,
    keyErrorThreshold: settings.KEY_ERROR_THRESHOLD,
    keyErrorCooldownMinutes: settings.KEY_ERROR_COOLDOWN_MINUTES,
    upstreamConnectTimeoutMs: settings.UPSTREAM_CONNECT_TIMEOUT_MS,
    balanceCheckTimeoutMs: Math.min(settings.UPSTREAM_HEADERS_TIMEOUT_MS, BALANCE_CHECK_TIMEOUT_MS),
    encryptionKey: settings.ENCRYPTION_KEY,
  }
}

/**
 * `app.keyPool`. Throws at registration (stopping boot) when the stored keys do not match
 * ENCRYPTION_KEY. On close: timers cleared, background checks awaited, connections closed.
 */
export default fp<KeyPoolPluginOptions>(
  async (app, options) => {
    const settings = parseKeyPoolOptions(options)
    // Read by name: its `declare module` augmentation lives in the server's database plugin.
    const database = app.getDecorator<KeyPoolStorage>('database')
    const pool = createKeyPool({
      storage: database,
      settings,
      log: app.log,
      ...(options.now ? { now: options.now } : {}),
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
  { name: 'key-pool', fastify: '5.x', dependencies: ['database'] },
)
