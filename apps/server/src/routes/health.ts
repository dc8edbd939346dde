import type { EgressLane } from '@sfp/egress'
import type { FastifyPluginAsync } from 'fastify'

/**
 * The old siliconflowProxy's `GET /api/proxy/health` answer, field names and all, for the
 * scripts and monitors written against it.
 */
export interface LegacyHealth {
  status: 'ok' | 'blocked'
  ip_blocked: boolean
  block_info: null | { unblock_at: string | null; reason: string }
}

/**
 * `blocked` when no lane can serve because upstream blocked its IP: no enabled egress is `up`,
 * and at least one is `blocked` (the others, if any, `down`). With only the built-in direct
 * egress, as the old program had, that is "this server's IP is blocked". A blocked egress while
 * another is up is not: requests still go through. `block_info` is the blocked egress that
 * comes back first; the old `blocked_at` is not kept, so it is left out.
 */
export function legacyHealth(lanes: readonly EgressLane[]): LegacyHealth {
  const states = lanes.map((lane) => ({ lane, state: lane.state() }))
  const blocked = states.filter(({ state }) => state === 'blocked').map(({ lane }) => lane)
  const serving = states.some(({ state }) => state === 'up')
  if (serving || blocked.length === 0) return { status: 'ok', ip_blocked: false, block_info: null }
  const backAt = (lane: EgressLane) => lane.backAt() ?? Number.POSITIVE_INFINITY
  const first = blocked.reduce((soonest, lane) => (backAt(lane) < backAt(soonest) ? lane : soonest))
  const unblockAt = first.backAt()
  return {
    status: 'blocked',
    ip_blocked: true,
    block_info: {
      unblock_at: unblockAt === null ? null : new Date(unblockAt).toISOString(),
      reason: first.reason() ?? 'blocked by upstream',
    },
  }
}

/** Liveness and readiness for orchestrators; no auth, no secrets, nothing upstream. */
const health: FastifyPluginAsync = async (app) => {
  app.get('/healthz', async () => ({ status: 'ok' }))

  app.get('/readyz', async (_request, reply) => {
    const ready = await app.database.isReady()
    return reply
      .status(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : 'not_ready', database: ready })
  })
}

/**
 * `GET /health` of the old program, registered inside the `/api/proxy` scope (app.ts), so that it
 * answers CORS like the proxy routes beside it. A static route wins over the proxy routes' `/*`
 * in the router: it is answered here, without the client key check, and never forwarded.
 */
export const legacyProxyHealth: FastifyPluginAsync = async (app) => {
  app.get('/health', async (): Promise<LegacyHealth> => legacyHealth(app.egress.lanes()))
}

export default health
