import type { AttemptOutcome } from '@sfp/key-pool'
import { describe, expect, it } from 'vitest'
import {
  type AttemptState,
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  decideNextStep,
  maxAttempts,
  type RetryPolicy,
  retryPolicy,
} from '../src/failover.js'

const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, retries: 2 }
const busy: AttemptOutcome = { kind: 'upstreamError', status: 503, message: 'busy' }

function state(outcome: AttemptOutcome, overrides: Partial<AttemptState> = {}): AttemptState {
  return {
    outcome,
    verdict: { status: 'active', moveOn: false },
    retriesOnKey: 0,
    attempts: 1,
    replayable: true,
    retryAfterMs: null,
    ...overrides,
  }
}

const middle = () => 0.5

describe('decideNextStep', () => {
  it('delivers successes and client errors', () => {
    expect(decideNextStep(state({ kind: 'success' }), policy)).toEqual({ kind: 'deliver' })
    expect(decideNextStep(state({ kind: 'clientError', status: 400 }), policy)).toEqual({
      kind: 'deliver',
    })
  })

  it('retries 5xx and network errors on the same key with a growing backoff', () => {
    expect(decideNextStep(state(busy), policy, middle)).toEqual({ kind: 'retry', delayMs: 250 })
    expect(decideNextStep(state(busy, { retriesOnKey: 1 }), policy, middle)).toEqual({
      kind: 'retry',
      delayMs: 500,
    })
    expect(
      decideNextStep(state({ kind: 'networkError', code: 'ECONNRESET' }), policy, middle),
    ).toEqual({
      kind: 'retry',
      delayMs: 250,
    })
    expect(decideNextStep(state(busy, { retriesOnKey: 2 }), policy)).toEqual({ kind: 'give-up' })
  })

  it('honours Retry-After up to the cap', () => {
    expect(decideNextStep(state(busy, { retryAfterMs: 3000 }), policy)).toEqual({
      kind: 'retry',
      delayMs: 3000,
    })
    expect(decideNextStep(state(busy, { retryAfterMs: 60_000 }), policy)).toEqual({
      kind: 'give-up',
    })
  })

  it('does not resend a request whose answer timed out', () => {
    const timeout: AttemptOutcome = { kind: 'networkError', code: 'UND_ERR_HEADERS_TIMEOUT' }
    expect(decideNextStep(state(timeout), policy)).toEqual({ kind: 'give-up' })
  })

  it('moves on when the pool says so, for any failure', () => {
    const moveOn = { status: 'invalid', moveOn: true } as const
    expect(decideNextStep(state({ kind: 'unauthorized' }, { verdict: moveOn }), policy)).toEqual({
      kind: 'switch-key',
    })
    expect(decideNextStep(state(busy, { verdict: moveOn }), policy)).toEqual({ kind: 'switch-key' })
  })

  it('passes key-attributable failures through when the pool keeps the key', () => {
    expect(decideNextStep(state({ kind: 'forbidden', status: 403 }), policy)).toEqual({
      kind: 'give-up',
    })
    expect(decideNextStep(state({ kind: 'rateLimited', retryAfterMs: null }), policy)).toEqual({
      kind: 'give-up',
    })
  })

  it('never repeats a body that cannot be sent again, and bounds the attempts', () => {
    expect(decideNextStep(state(busy, { replayable: false }), policy)).toEqual({ kind: 'give-up' })
    expect(decideNextStep(state(busy, { attempts: maxAttempts(policy) }), policy)).toEqual({
      kind: 'give-up',
    })
    expect(maxAttempts(policy)).toBe(9)
  })
})

describe('backoffDelay', () => {
  it('doubles, is capped and jitters by ±20 %', () => {
    expect(backoffDelay(0, policy, () => 0)).toBe(200)
    expect(backoffDelay(0, policy, () => 1)).toBe(300)
    expect(backoffDelay(3, policy, middle)).toBe(2000)
    expect(backoffDelay(10, policy, middle)).toBe(4000)
  })
})

describe('retryPolicy', () => {
  it('fills what the options leave out with the defaults', () => {
    expect(retryPolicy(1, { maxKeys: 5, baseDelayMs: undefined })).toEqual({
      ...DEFAULT_RETRY_POLICY,
      maxKeys: 5,
      retries: 1,
    })
  })
})
