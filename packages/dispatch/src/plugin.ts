// Bring in the `app.keyPool` and `app.egress` augmentations of their plugins (types only).
import type {} from '@sfp/egress'
import type {} from '@sfp/key-pool'
// The `app.clock` augmentation (types only).
import { instanceIdOf } from '@sfp/runtime'
import type { Config } from '@sfp/schemas'
import fp from 'fastify-plugin'
import { createDispatch } from './dispatch.js'
import type { Dispatch } from './types.js'

declare module 'fastify' {
  interface FastifyInstance {
    dispatch: Dispatch
  }
}

/**
 * Its slice of the parsed `Config` (checked once, by `parseConfig`), so `{ ...config }` is a
 * valid options object.
 */
export type DispatchPluginOptions = Pick<
  Config,
  | 'dispatchConcurrency'
  | 'dispatchQueueMax'
  | 'clientQueueShare'
  | 'dispatchQueueTimeoutMs'
  | 'keySwitchGuardMinutes'
  | 'keySwitchPolicy'
> &
  Partial<Pick<Config, 'instanceId'>>

/** The dispatch settings from its `Config` slice: taken as they are, never validated again. */
export function dispatchSettings(options: DispatchPluginOptions) {
  return {
    concurrency: options.dispatchConcurrency,
    queueMax: options.dispatchQueueMax,
    clientQueueShare: options.clientQueueShare,
    queueTimeoutMs: options.dispatchQueueTimeoutMs,
    guardMinutes: options.keySwitchGuardMinutes,
    policy: options.keySwitchPolicy,
  }
}

/**
 * `app.dispatch`: every upstream call, proxied or a balance check, goes through a lease of one
 * egress lane. Queued waiters are refused at `preClose` so that `app.close()` only waits for
 * requests already upstream.
 */
export default fp<DispatchPluginOptions>(
  async (app, options) => {
    const config = dispatchSettings(options)
    const pool = app.keyPool
    const dispatch = createDispatch({
      ...config,
      pool,
      egress: app.egress,
      clock: app.clock,
      instanceId: instanceIdOf(options.instanceId),
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
  { name: 'dispatch', fastify: '5.x', dependencies: ['clock', 'database', 'key-pool', 'egress'] },
)
