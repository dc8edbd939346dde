import createError from '@fastify/error'
import type { DispatchSlot, KeyChoice } from '@sfp/dispatch'
import type { AttemptOutcome, OutcomeVerdict } from '@sfp/key-pool'
import type { ProxyDispatch, ProxyKeyPool } from '../../src/index.js'

/** Upstream keys of the fakes; the mock upstream accepts any `sk-` key. */
export const KEYS = [
  { id: 1, secret: 'sk-upstream-key-one-000001' },
  { id: 2, secret: 'sk-upstream-key-two-000002' },
  { id: 3, secret: 'sk-upstream-key-three-0003' },
] as const

export const secretOf = (id: number) => KEYS.find((key) => key.id === id)?.secret

/** The dispatch package's refusals, by code (what the proxy recognises). */
export const KeySwitchGuard = createError('SFP_KEY_SWITCH_GUARD', '%s', 503)
export const NoAvailableKey = createError('SFP_NO_AVAILABLE_KEY', '%s', 503)
export const QueueFull = createError('SFP_QUEUE_FULL', 'queue full', 503)

export function withRetryAfter<E extends Error>(error: E, seconds: number): E {
  return Object.assign(error, { retryAfterSeconds: seconds })
}

export type VerdictRule = (keyId: number, outcome: AttemptOutcome) => OutcomeVerdict

/** Roughly the key pool's rules: a rejected or rate-limited key is left, anything else kept. */
export const defaultVerdict: VerdictRule = (_keyId, outcome) => {
  if (outcome.kind === 'unauthorized') return { status: 'invalid', moveOn: true }
  if (outcome.kind === 'rateLimited') return { status: 'cooling', moveOn: true }
  return { status: 'active', moveOn: false }
}

/** Records every report; verdicts come from `verdict` (scripted per test). */
export class FakeKeyPool implements ProxyKeyPool {
  readonly reports: { keyId: number; outcome: AttemptOutcome }[] = []
  readonly unusable = new Set<number>()
  verdict: VerdictRule = defaultVerdict

  async report(keyId: number, outcome: AttemptOutcome): Promise<OutcomeVerdict> {
    this.reports.push({ keyId, outcome })
    const verdict = this.verdict(keyId, outcome)
    if (verdict.moveOn) this.unusable.add(keyId)
    return verdict
  }

  kinds(): string[] {
    return this.reports.map(({ outcome }) => outcome.kind)
  }
}

interface Waiter {
  enqueuedAt: number
  resolve: (slot: DispatchSlot) => void
  reject: (reason: unknown) => void
  signal: AbortSignal | undefined
  onAbort: () => void
}

/**
 * A small real FIFO slot gate (concurrency 1 by default) and a key choice that keeps the key in
 * use while the fake pool finds it usable. `switchRefusal` plays the switch guard: set, every
 * choice that would change the key throws it.
 */
export class FakeDispatch implements ProxyDispatch {
  readonly uses: number[] = []
  readonly choices: number[] = []
  readonly queue: Waiter[] = []
  inFlight = 0
  releases = 0
  switchRefusal: Error | null = null
  refusal: Error | null = null
  #current: number | null = null

  constructor(
    private readonly pool: FakeKeyPool,
    private readonly concurrency = 1,
  ) {}

  readonly guard = { recordUse: (keyId: number) => void this.uses.push(keyId) }

  acquire(signal?: AbortSignal): Promise<DispatchSlot> {
    if (signal?.aborted) return Promise.reject(signal.reason)
    if (this.inFlight < this.concurrency) return Promise.resolve(this.#admit(0))
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        enqueuedAt: Date.now(),
        resolve,
        reject,
        signal,
        onAbort: () => {
          this.queue.splice(this.queue.indexOf(waiter), 1)
          reject(signal?.reason)
        },
      }
      signal?.addEventListener('abort', waiter.onAbort, { once: true })
      this.queue.push(waiter)
    })
  }

  chooseKey(): KeyChoice {
    if (this.refusal) throw this.refusal
    const usable = KEYS.filter((key) => !this.pool.unusable.has(key.id))
    const current = usable.find((key) => key.id === this.#current)
    const next = current ?? usable[0]
    if (next === undefined) throw new NoAvailableKey('no usable key')
    const switched = this.#current !== null && next.id !== this.#current
    if (switched && this.switchRefusal) throw this.switchRefusal
    this.#current = next.id
    this.choices.push(next.id)
    return { keyId: next.id, secret: next.secret, switched, guardEpoch: 0 }
  }

  #admit(waitedMs: number): DispatchSlot {
    this.inFlight += 1
    let released = false
    return {
      waitedMs,
      release: () => {
        if (released) return
        released = true
        this.releases += 1
        this.inFlight -= 1
        const next = this.queue.shift()
        if (next === undefined) return
        next.signal?.removeEventListener('abort', next.onAbort)
        next.resolve(this.#admit(Date.now() - next.enqueuedAt))
      },
    }
  }
}
