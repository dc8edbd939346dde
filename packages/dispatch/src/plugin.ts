// Bring in the `app.keyPool` and `app.egress` augmentations of their plugins (types only).
import type {} from '@sfp/egress'
import type {} from '@sfp/key-pool'
import { type Config, describeIssues } from '@sfp/schemas'
import fp from 'fastify-plugin'
import { z } from 'zod'
import { createDispatch } from './dispatch.js'
import type { SetTimer } from './timers.js'
import type { Dispatch } from './types.js'

declare module 'fastify' {
  interface FastifyInstance {
    dispatch: Dispatch
  }
}

/** Named like `Config`'s fields, so `{ ...config, now }` is a valid options object. */
export type DispatchPluginOptions = Partial<
  Pick<
    Config,
    | 'dispatchConcurrency'
    | 'dispatchQueueMax'
    | 'dispatchQueueTimeoutMs'
    | 'keySwitchGuardMinutes'
    | 'keySwitchPolicy'
  >
> & {
  now?: () => number
  setTimer?: SetTimer
}

/** The settings' own ranges and defaults (README "Settings"). */
const optionsSchema = z.object({
  dispatchConcurrency: z.number().int().min(1).max(1024).default(1),
  dispatchQueueMax: z.number().int().min(0).max(1_000_000).default(100),
  dispatchQueueTimeoutMs: z.number().int().min(1).max(86_400_000).default(600_000),
  keySwitchGuardMinutes: z.number().min(0).max(1440).default(30),
  keySwitchPolicy: z.enum(['wait', 'immediate']).default('wait'),
  now: z.custom<() => number>((value) => typeof value === 'function').optional(),
})

export function parseDispatchOptions(options: DispatchPluginOptions) {
  const result = optionsSchema.safeParse(options)
  if (!result.success) {
    throw new TypeError(`Invalid dispatch options: ${describeIssues(result.error.issues).message}`)
  }
  const settings = result.data
  return {
    concurrency: settings.dispatchConcurrency,
    queueMax: settings.dispatchQueueMax,
    queueTimeoutMs: settings.dispatchQueueTimeoutMs,
    guardMinutes: settings.keySwitchGuardMinutes,
    policy: settings.keySwitchPolicy,
  }
}

/**
 * `app.dispatch`: every upstream call, proxied or a balance check, goes through a lease of one
 * egress lane. Queued waiters are refused at `preClose` so that `app.close()` only waits for
 * requests already upstream.
 */
export default fp<DispatchPluginOptions>(
  async (app, options) => {
    const config = parseDispatchOptions(options)
    const pool = app.keyPool
    const dispatch = createDispatch({
      ...config,
      pool,
      egress: app.egress,
      ...(options.now ? { now: options.now } : {}),
      ...(options.setTimer ? { setTimer: options.setTimer } : {}),
      reportError: (error) =>
        app.log.error({ err: error }, 'dispatch: a change listener failed or a lease leaked'),
    })
    pool.useUpstreamGate(dispatch.upstreamGate)
    pool.useKeysInUse(dispatch.keysInUse)
    app.decorate('dispatch', dispatch)
    app.log.info({ ...config, lanes: dispatch.status().egresses.length }, 'dispatch ready')

    app.addHook('preClose', async () => {
      dispatch.close()
    })
    app.addHook('onClose', async () => {
      dispatch.close()
    })
  },
  { name: 'dispatch', fastify: '5.x', dependencies: ['database', 'key-pool', 'egress'] },
)
