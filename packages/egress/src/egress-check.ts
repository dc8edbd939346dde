import { type EgressCheckResult, type ExplanationOf, explanationText } from '@sfp/schemas'
import { transportFailure } from './transport-failure.js'
import type { EgressLane } from './types.js'
import { isWayOutFailure, wayOutExplanation } from './way-out.js'

export interface EgressCheckOutcome extends EgressCheckResult {
  /** Why the way out failed (the egress is down); null when it did not (the upstream's failure). */
  wayOut: ExplanationOf<'egress_down'> | null
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
    return { ok: true, latencyMs, error: null, wayOut: null }
  } catch (error) {
    const failure = transportFailure(error)
    if (isWayOutFailure(lane.kind, error)) {
      const wayOut = wayOutExplanation(failure)
      return { ok: false, latencyMs: null, error: explanationText(wayOut), wayOut }
    }
    const reason = `no answer from the upstream (${failure.code})`
    return { ok: false, latencyMs: null, error: reason, wayOut: null }
  }
}
