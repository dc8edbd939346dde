import type { AttemptOutcome, OutcomeVerdict } from '@sfp/key-pool'

/** How hard one request tries before its answer is final. */
export interface RetryPolicy {
  /** UPSTREAM_RETRIES: extra attempts on the same key for 5xx and network errors. */
  retries: number
  /** Backoff before the first retry; doubled per retry, ±20 % jitter. */
  baseDelayMs: number
  /** Longest backoff. */
  maxDelayMs: number
  /** Longest Retry-After the proxy waits for; a longer one ends the retries (answer passed on). */
  maxRetryAfterMs: number
  /** Most keys one request may try: with `retries` it bounds the attempts. */
  maxKeys: number
}

export const DEFAULT_RETRY_POLICY: Omit<RetryPolicy, 'retries'> = {
  baseDelayMs: 250,
  maxDelayMs: 4000,
  maxRetryAfterMs: 10_000,
  maxKeys: 3,
}

/** The policy for UPSTREAM_RETRIES, with the defaults where `overrides` leaves a value out. */
export function retryPolicy(
  retries: number,
  overrides: Partial<Omit<RetryPolicy, 'retries'>> = {},
): RetryPolicy {
  const defined = Object.entries(overrides).filter(([, value]) => value !== undefined)
  return { ...DEFAULT_RETRY_POLICY, ...Object.fromEntries(defined), retries }
}

export type NextStep =
  /** The answer is final and good to send (2xx, or the client's own mistake). */
  | { kind: 'deliver' }
  /** Same key again after `delayMs`. */
  | { kind: 'retry'; delayMs: number }
  /** The key cannot serve: choose another one (if the switch guard allows). */
  | { kind: 'switch-key' }
  /** Stop: pass the upstream answer through (or answer 502/504 when there is none). */
  | { kind: 'give-up' }

export interface AttemptState {
  outcome: AttemptOutcome
  verdict: OutcomeVerdict
  /** Retries already made on the current key. */
  retriesOnKey: number
  /** Attempts made so far in this request, this one included. */
  attempts: number
  /** False for a streamed upload whose bytes already went out: it cannot be sent again. */
  replayable: boolean
  /** The answer's Retry-After, ms. */
  retryAfterMs: number | null
}

export function maxAttempts(policy: RetryPolicy): number {
  return (policy.retries + 1) * policy.maxKeys
}

/** Backoff before retry number `retry` (0-based): base × 2ⁿ, capped, ±20 % jitter. */
export function backoffDelay(retry: number, policy: RetryPolicy, random = Math.random): number {
  const capped = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry)
  return Math.round(capped * (0.8 + 0.4 * random()))
}

/**
 * What to do after an attempt, given the key pool's verdict. Only called before any byte of the
 * answer reached the client: retries and key moves never happen later.
 * @see docs/behaviour.md §4 (5xx/network: retry the same key up to UPSTREAM_RETRIES, honouring
 * Retry-After; key-attributable failures: move on) and §5 (retries only before the first byte)
 */
export function decideNextStep(
  state: AttemptState,
  policy: RetryPolicy,
  random = Math.random,
): NextStep {
  const { outcome, verdict } = state
  if (outcome.kind === 'success' || outcome.kind === 'clientError') return { kind: 'deliver' }
  if (!state.replayable || state.attempts >= maxAttempts(policy)) return { kind: 'give-up' }
  if (verdict.moveOn) return { kind: 'switch-key' }
  const retryable = outcome.kind === 'upstreamError' || outcome.kind === 'networkError'
  if (!retryable || state.retriesOnKey >= policy.retries) return { kind: 'give-up' }
  // The upstream may still be working on a request whose answer timed out: sending it again
  // would double the cost (and the wait, up to UPSTREAM_HEADERS_TIMEOUT_MS each).
  if (outcome.kind === 'networkError' && outcome.code === 'UND_ERR_HEADERS_TIMEOUT') {
    return { kind: 'give-up' }
  }
  if (state.retryAfterMs !== null) {
    if (state.retryAfterMs > policy.maxRetryAfterMs) return { kind: 'give-up' }
    return { kind: 'retry', delayMs: state.retryAfterMs }
  }
  return { kind: 'retry', delayMs: backoffDelay(state.retriesOnKey, policy, random) }
}
