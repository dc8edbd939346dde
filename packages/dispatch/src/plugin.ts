import type { KeyEventsRepository, SettingsStore } from '@sfp/db'
// Brings in the key-pool plugin's `app.keyPool` augmentation (types only).
import type {} from '@sfp/key-pool'
import { describeIssues, envSchema, type KeySwitchPolicy } from '@sfp/schemas'
import fp from 'fastify-plugin'
import { createDispatch } from './dispatch.js'
import type { SetTimer } from './slot-gate.js'
import type { Dispatch } from './types.js'

declare module 'fastify' {
  interface FastifyInstance {
    dispatch: Dispatch
  }
}

export interface DispatchPluginOptions {
  /** DISPATCH_CONCURRENCY (default 1) */
  concurrency?: number
  /** DISPATCH_QUEUE_MAX (default 100) */
  queueMax?: number
  /** DISPATCH_QUEUE_TIMEOUT_MS (default 600000) */
  queueTimeoutMs?: number
  /** KEY_SWITCH_GUARD_MINUTES (default 30, 0 = off) */
  guardMinutes?: number
  /** KEY_SWITCH_POLICY (default wait) */
  policy?: KeySwitchPolicy
  now?: () => number
  setTimer?: SetTimer
}

/** What this plugin needs of the `database` plugin's decoration (it lives in the server app). */
export interface DispatchDatabase {
  settings: SettingsStore
  keyEvents: KeyEventsRepository
}

/** The same rules and defaults as the settings themselves, so a value valid in env is valid here. */
const settingsSchema = envSchema.pick({
  DISPATCH_CONCURRENCY: true,
  DISPATCH_QUEUE_MAX: true,
  DISPATCH_QUEUE_TIMEOUT_MS: true,
  KEY_SWITCH_GUARD_MINUTES: true,
  KEY_SWITCH_POLICY: true,
})

export function parseDispatchOptions(options: DispatchPluginOptions) {
  const result = settingsSchema.safeParse({
    DISPATCH_CONCURRENCY: options.concurrency,
    DISPATCH_QUEUE_MAX: options.queueMax,
    DISPATCH_QUEUE_TIMEOUT_MS: options.queueTimeoutMs,
    KEY_SWITCH_GUARD_MINUTES: options.guardMinutes,
    KEY_SWITCH_POLICY: options.policy,
  })
  if (!result.success) {
    throw new TypeError(`Invalid dispatch options: ${describeIssues(result.error.issues).message}`)
  }
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw new TypeError('Invalid dispatch options: now must be a function returning milliseconds')
  }
  const settings = result.data
  return {
    concurrency: settings.DISPATCH_CONCURRENCY,
    queueMax: settings.DISPATCH_QUEUE_MAX,
    queueTimeoutMs: settings.DISPATCH_QUEUE_TIMEOUT_MS,
    guardMinutes: settings.KEY_SWITCH_GUARD_MINUTES,
    policy: settings.KEY_SWITCH_POLICY,
  }
}

/**
 * `app.dispatch`: every upstream call, proxied or a balance check, goes through its slots, and
 * every key choice through its switch guard. Queued waiters are refused at `preClose` so that
 * `app.close()` only waits for requests already upstream.
 */
export default fp<DispatchPluginOptions>(
  async (app, options) => {
    const config = parseDispatchOptions(options)
    const pool = app.keyPool
    // By name: the `database` decoration and its type belong to the server app.
    const database = app.getDecorator<DispatchDatabase>('database')
    const dispatch = createDispatch({
      ...config,
      pool,
      settings: database.settings,
      keyEvents: database.keyEvents,
      ...(options.now ? { now: options.now } : {}),
      ...(options.setTimer ? { setTimer: options.setTimer } : {}),
      reportError: (error) =>
        app.log.error({ err: error }, 'dispatch: a change listener failed or a slot leaked'),
    })
    pool.useUpstreamGate(dispatch.upstreamGate)
    const stopOverrides = pool.onActivate((keyId) => dispatch.guard.recordOverride(keyId))
    app.decorate('dispatch', dispatch)
    app.log.info(config, 'dispatch ready')

    app.addHook('preClose', async () => {
      dispatch.close()
    })
    app.addHook('onClose', async () => {
      stopOverrides()
      dispatch.close()
    })
  },
  { name: 'dispatch', fastify: '5.x', dependencies: ['database', 'key-pool'] },
)
