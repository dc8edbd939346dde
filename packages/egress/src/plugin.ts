// Brings in the database plugin's `app.database` augmentation (types only).
import type {} from '@sfp/db'
// Brings in the key-pool plugin's `app.keyPool` augmentation (types only).
import type {} from '@sfp/key-pool'
// The `app.clock` augmentation (types only).
import { instanceIdOf } from '@sfp/runtime'
import type { Config } from '@sfp/schemas'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { createEgressService, type EgressSettings } from './create-egress-service.js'
import type { EgressService } from './types.js'

declare module 'fastify' {
  interface FastifyInstance {
    egress: EgressService
  }
}

/**
 * Its slice of the parsed `Config` (checked once, by `parseConfig`), so `{ ...config }` is a
 * valid options object.
 */
export type EgressPluginOptions = Pick<
  Config,
  | 'upstreamBaseUrl'
  | 'upstreamConnectTimeoutMs'
  | 'upstreamHeadersTimeoutMs'
  | 'egressDirect'
  | 'egressDirectAddress'
  | 'egressProxies'
  | 'egressBlockCodes'
  | 'egressBlockMinutes'
  | 'encryptionKey'
> &
  Partial<Pick<Config, 'instanceId'>>

/** An egress check waits at most this long (or UPSTREAM_HEADERS_TIMEOUT_MS, if shorter). */
export const EGRESS_CHECK_TIMEOUT_MS = 15_000

/** The egress settings from its `Config` slice: taken as they are, never validated again. */
export function egressSettings(options: EgressPluginOptions): EgressSettings {
  return {
    upstreamBaseUrl: options.upstreamBaseUrl,
    upstreamConnectTimeoutMs: options.upstreamConnectTimeoutMs,
    checkTimeoutMs: Math.min(options.upstreamHeadersTimeoutMs, EGRESS_CHECK_TIMEOUT_MS),
    egressDirect: options.egressDirect,
    egressDirectAddress: options.egressDirectAddress,
    egressProxies: options.egressProxies,
    egressBlockCodes: options.egressBlockCodes,
    egressBlockMinutes: options.egressBlockMinutes,
    encryptionKey: options.encryptionKey,
  }
}

/** Cluster mode (docs/behaviour.md §9) is PostgreSQL: direct egresses belong to an instance. */
const clusterInstanceOf = (app: FastifyInstance, options: EgressPluginOptions) =>
  app.database.dialect === 'postgres' ? instanceIdOf(options.instanceId) : null

/**
 * `app.egress`: the egresses and their dispatchers. Throws at registration (stopping boot) when
 * stored proxy passwords do not match ENCRYPTION_KEY. On close: timers stopped, counters written,
 * dispatchers closed.
 */
export default fp<EgressPluginOptions>(
  async (app, options) => {
    const settings = { ...egressSettings(options), instanceId: clusterInstanceOf(app, options) }
    const pool = app.keyPool
    const service = await createEgressService({
      storage: app.database,
      settings,
      keys: {
        rows: () => pool.rows(),
        bind: (id, egressId, usedAt) => pool.bind(id, egressId, usedAt),
        unbindEgress(egressId, lastUse) {
          // The key's last use through it stays recorded (rule 3 holds after the delete).
          if (lastUse !== null && pool.row(lastUse.keyId)?.egressId === egressId) {
            pool.bind(lastUse.keyId, egressId, lastUse.usedAt)
          }
          pool.unbindEgress(egressId)
        },
      },
      log: app.log,
      clock: app.clock,
    })
    app.decorate('egress', service)
    app.log.info({ egresses: service.lanes().length }, 'egresses ready')
    app.addHook('onClose', async () => {
      await service.close()
    })
  },
  { name: 'egress', fastify: '5.x', dependencies: ['clock', 'database', 'key-pool'] },
)
