import { readFileSync } from 'node:fs'
// Types only: the `app.dispatch` and `app.keyPool` augmentations of their plugins.
import type {} from '@sfp/dispatch'
import type {} from '@sfp/key-pool'
import type { StatusView } from '@sfp/schemas'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
// The `app.cluster` augmentation (types only).
import type {} from '../../../plugins/cluster.js'

/** `../../../../package.json` is apps/server's from both `src/` and `dist/`; read once. */
const VERSION = (
  JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
).version

/** When this process started: the uptime shown is the process's, whichever route asks. */
const PROCESS_STARTED_AT = Math.round(Date.now() - process.uptime() * 1000)

export interface StatusRoutesOptions {
  startedAt?: number
}

/** Builds the status view of docs/behaviour.md §6 from the dispatch and the key pool, on demand. */
export function createStatusView(
  app: FastifyInstance,
  { startedAt = PROCESS_STARTED_AT }: StatusRoutesOptions = {},
): () => StatusView {
  const startedAtIso = new Date(startedAt).toISOString()
  return () => {
    const { dispatch, switchGuard, egresses } = app.dispatch.status()
    return {
      dispatch,
      switchGuard,
      egresses,
      pool: app.keyPool.status(),
      mode: app.cluster.mode,
      instances: app.cluster.instances(),
      uptimeSeconds: Math.max(0, Math.floor((app.clock.now() - startedAt) / 1000)),
      startedAt: startedAtIso,
      version: VERSION,
    }
  }
}

/** `GET /api/manage/status`: dispatch totals and lanes, switch guard, pool counts, uptime, version. */
const statusRoutes: FastifyPluginAsync<StatusRoutesOptions> = async (app, options) => {
  const statusView = createStatusView(app, options)
  app.get('/status', async () => statusView())
}

export default statusRoutes
