import type { EgressCheckResult } from '@sfp/schemas'
import type { EgressLane } from './types.js'
import { errorCodeOf, isWayOutFailure, wayOutReason } from './way-out.js'

export interface EgressCheckOutcome extends EgressCheckResult {
  /** The failure was the way out's (the egress is down), not the upstream's. */
  wayOut: boolean
}

/**
 * Open a connection to the upstream origin through the egress (tunnel and TLS included) and ask
 * for `/v1/models` without any key: whatever HTTP answer comes back proves the way out works,
 * and no key is ever sent by a check. The answer's body is read and dropped.
 */
export async function checkThrough(
  lane: Pick<EgressLane, 'kind' | 'dispatcher'>,
  settings: { upstreamBaseUrl: string; checkTimeoutMs: number },
  signal: AbortSignal | undefined,
): Promise<EgressCheckOutcome> {
  const base = new URL(settings.upstreamBaseUrl)
  const prefix = base.pathname.replace(/\/+$/, '')
  const startedAt = performance.now()
  try {
    const { body } = await lane.dispatcher.request({
      origin: base.origin,
      path: `${prefix}/v1/models`,
      method: 'GET',
      headers: { accept: 'application/json' },
      headersTimeout: settings.checkTimeoutMs,
      bodyTimeout: settings.checkTimeoutMs,
      signal: signal ?? null,
    })
    const latencyMs = Math.round(performance.now() - startedAt)
    await body.dump({ limit: 64 * 1024 }).catch(() => {})
    return { ok: true, latencyMs, error: null, wayOut: false }
  } catch (error) {
    const wayOut = isWayOutFailure(lane.kind, error)
    const reason = wayOut
      ? wayOutReason(error)
      : `no answer from the upstream (${errorCodeOf(error)})`
    return { ok: false, latencyMs: null, error: reason, wayOut }
  }
}
