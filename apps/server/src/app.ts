import { databasePlugin } from '@sfp/db'
import { dispatchPlugin } from '@sfp/dispatch'
import { egressPlugin } from '@sfp/egress'
import { keyPoolPlugin } from '@sfp/key-pool'
import { proxyPlugin, proxyRoutes } from '@sfp/proxy'
import { type Clock, clockPlugin } from '@sfp/runtime'
import type { Config } from '@sfp/schemas'
import type { FastifyPluginAsync } from 'fastify'
import adminAuth from './plugins/admin-auth.js'
import clientKeys from './plugins/client-keys.js'
import cluster from './plugins/cluster.js'
import cors from './plugins/cors.js'
import errorHandler from './plugins/error-handler.js'
import firstBoot from './plugins/first-boot.js'
import legacyImport from './plugins/legacy-import.js'
import metrics from './plugins/metrics.js'
import notifications from './plugins/notifications.js'
import prices from './plugins/prices.js'
import requestLog from './plugins/request-log.js'
import { PROXY_PREFIXES } from './proxy-prefixes.js'
import manageRoutes from './routes/api/manage/index.js'
import dashboardRoutes from './routes/dashboard.js'
import healthRoutes, { legacyProxyHealth } from './routes/health.js'
import metricsRoutes from './routes/metrics.js'

export interface AppOptions {
  config: Config
  /** Where first-boot secrets are shown (stdout by default; tests capture it). */
  announce?: (line: string) => void
  /** The clock of every time-dependent rule and timer (`app.clock`); tests move it by hand. */
  clock?: Clock
  /** The dashboard build to serve (apps/server/public by default). */
  publicDir?: string
}

const writeLine = (line: string) => {
  process.stdout.write(`${line}\n`)
}

/**
 * The whole application as one plugin: app plugins first (each decorates the instance with one
 * capability), then the routes that use them. `server.ts` owns the Fastify instance around it.
 */
const app: FastifyPluginAsync<AppOptions> = async (fastify, opts) => {
  const { config, announce = writeLine } = opts

  await fastify.register(clockPlugin, { clock: opts.clock })
  await fastify.register(errorHandler)
  await fastify.register(databasePlugin, {
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
  })
  // Before anything reads keys, egresses or client keys: the old siliconflowProxy tables, once.
  await fastify.register(legacyImport, { config })
  await fastify.register(clientKeys, { envKeys: config.proxyApiKeys })
  await fastify.register(firstBoot, { adminPassword: config.adminPassword, announce })
  await fastify.register(adminAuth, { adminPassword: config.adminPassword })
  await fastify.register(keyPoolPlugin, config)
  await fastify.register(prices)
  // The metrics plugin (registered below) subscribes to its flushes.
  await fastify.register(requestLog, { retentionDays: config.logRetentionDays })
  await fastify.register(egressPlugin, config)
  await fastify.register(dispatchPlugin, config)
  // Cluster mode (DATABASE_URL): lane leases and the change bus; a cluster of one otherwise.
  await fastify.register(cluster, {
    instanceId: config.instanceId,
    leaseSeconds: config.leaseSeconds,
    guardMinutes: config.keySwitchGuardMinutes,
    address: `${config.host}:${config.port}`,
  })
  // Watches the key pool, egresses and dispatch above; sends to the stored targets.
  await fastify.register(notifications, {
    encryptionKey: config.encryptionKey,
    lowBalanceThreshold: config.lowBalanceThreshold,
    watches: () => fastify.cluster.watches(),
  })
  const settingSecrets = [config.adminPassword, config.encryptionKey].filter(
    (secret): secret is string => secret !== undefined && secret !== '',
  )
  await fastify.register(metrics, { settingSecrets })
  await fastify.register(proxyPlugin, {
    settings: config,
    verifyClientKey: (presented) => {
      const identity = fastify.clientKeys.verify(presented)
      if (identity) fastify.clientKeys.recordUse(identity)
      return identity
    },
    // A client key's own limits, before the request queues (docs/behaviour.md §12).
    admit: (identity, request) => fastify.clientKeys.admit(identity, request),
    onComplete: (record) => {
      // What the answer cost (docs/behaviour.md §11): on its row, its key's spend, its client's.
      record.cost = fastify.prices.costOf(
        record.model,
        record.promptTokens,
        record.completionTokens,
      )
      if (record.cost !== null && record.upstreamKeyId !== null) {
        fastify.keyPool.addSpend(record.upstreamKeyId, record.cost)
      }
      fastify.clientKeys.recordAnswer(record)
      fastify.requestLog.record(record)
      fastify.metrics.observeProxyRecord(record)
    },
  })

  await fastify.register(healthRoutes)
  await fastify.register(metricsRoutes)
  // Each proxy prefix in a scope of its own with CORS (CORS_ORIGINS), whose preflight answer comes
  // before the routes' client key check; the admin API and the rest never answer CORS. The
  // server's front door takes their JSON requests before Fastify (src/http/front-door.ts).
  for (const prefix of PROXY_PREFIXES) {
    await fastify.register(
      async (scope) => {
        await scope.register(cors, { origins: config.corsOrigins })
        if (prefix === '/api/proxy') await scope.register(legacyProxyHealth)
        await scope.register(proxyRoutes)
      },
      { prefix },
    )
  }
  await fastify.register(manageRoutes, { prefix: '/api/manage', config })
  await fastify.register(dashboardRoutes, opts.publicDir ? { publicDir: opts.publicDir } : {})
}

export default app
