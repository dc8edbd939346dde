import type { ServerResponse } from 'node:http'
import type { KeyChoice } from '@sfp/dispatch'
import type { AttemptOutcome, OutcomeVerdict } from '@sfp/key-pool'
import type { FastifyReply } from 'fastify'
import { type AttemptReply, discardReply, sendAttempt } from './attempt.js'
import { type AttemptResult, classifyAttempt, parseRetryAfter } from './classify.js'
import {
  CLIENT_GONE,
  type Delivery,
  deliverAnswer,
  passThroughError,
  sendProxyError,
} from './deliver.js'
import { ClientGone, proxyErrorAnswer, RequestTooLarge } from './errors.js'
import { decideNextStep } from './failover.js'
import {
  CLIENT_CLOSED_REQUEST,
  ERROR_TYPES,
  newRecord,
  noteError,
  type ProxyRequestRecord,
} from './record.js'
import { type BodyFacts, type ClientBody, prepareBody } from './request-body.js'
import type { Forwarder, ForwarderDeps, ProxyCall } from './types.js'

/** When the pool cannot judge (it threw), keep the key and do not move: the safe default. */
const NO_VERDICT: OutcomeVerdict = { status: 'active', moveOn: false }

export function createForwarder(deps: ForwarderDeps): Forwarder {
  return { forward: (call) => new ForwardRun(deps, call).run() }
}

type ErrorReply = Exclude<AttemptReply, { kind: 'answer' }>

/** After a key-attributable failure: the key to move to, or why there is none. */
type NextKey =
  | { kind: 'key'; choice: KeyChoice }
  /** The chooser kept the failed key (it is still the one to use), or failed unexpectedly. */
  | { kind: 'same-key' }
  /** The dispatch refused any key now: its contract error (key_switch_guard, no_available_key...). */
  | { kind: 'refused'; refusal: unknown }

/** States in which a key no longer serves; a refused move away from one is answered as such. */
const OUT_OF_SERVICE: ReadonlySet<OutcomeVerdict['status']> = new Set(['invalid', 'insufficient'])

/**
 * The life of one proxied request: body, queue, attempts, delivery, record. The dispatch slot is
 * held from the first attempt until the answer is delivered, failed or the client is gone, and
 * released exactly once on every path. Retries and key moves happen only before the first byte
 * of an answer reaches the client.
 * @see CONTRACT §4 and §5
 */
class ForwardRun implements Delivery {
  readonly record: ProxyRequestRecord
  readonly reply: FastifyReply
  readonly closed: Promise<void>
  readonly signal: AbortSignal
  #body: ClientBody = { kind: 'none' }
  #facts: BodyFacts | null = null

  constructor(
    private readonly deps: ForwarderDeps,
    private readonly call: ProxyCall,
  ) {
    const { request, reply } = call
    this.reply = reply
    this.record = newRecord({
      time: call.startedAt,
      requestId: request.id,
      clientKeyId: call.clientKeyId,
      method: request.method,
      path: call.upstreamPath.split('?')[0] ?? call.upstreamPath,
    })
    const client = watchClient(reply.raw)
    this.signal = client.signal
    this.closed = client.closed
  }

  async run(): Promise<void> {
    const { request } = this.call
    try {
      const prepared = prepareBody(
        request.body,
        request.headers,
        this.call.upstreamPath,
        this.deps.bodyLimitBytes,
      )
      this.#body = prepared.body
      this.#facts = prepared.facts
      this.record.model = prepared.facts.model
      this.record.stream = prepared.facts.stream
      const slot = await this.deps.dispatch.acquire(this.signal)
      this.record.queueWaitMs = Math.round(slot.waitedMs)
      try {
        await this.#attempts()
      } finally {
        slot.release()
      }
    } catch (error) {
      this.#fail(error)
    } finally {
      if (this.#body.kind === 'stream') this.#body.upload.release()
      await this.closed
      this.#finishRecord()
      try {
        this.deps.onComplete(this.record)
      } catch (error) {
        request.log.error({ err: error }, 'the request record could not be taken')
      }
    }
  }

  async #attempts(): Promise<void> {
    const { deps, record } = this
    let choice: KeyChoice = deps.dispatch.chooseKey()
    let retriesOnKey = 0
    for (;;) {
      record.attempts += 1
      record.upstreamKeyId = choice.keyId
      record.upstreamStatus = null
      const reply = await this.#send(choice)
      if (reply.kind === 'answer') {
        const dropUsageEvent = this.#facts?.injectedUsage ?? false
        const outcome = await deliverAnswer(this, reply.response, dropUsageEvent)
        await this.#endCall(choice, outcome)
        return
      }
      if (reply.kind === 'error-answer') record.upstreamStatus = reply.response.status
      const outcome = classifyAttempt(attemptResult(reply), deps.now())
      const verdict = await this.#endCall(choice, outcome)
      if (this.signal.aborted) {
        discardReply(reply)
        throw this.signal.reason
      }
      const retryAfterMs =
        reply.kind === 'error-answer'
          ? parseRetryAfter(reply.response.headers['retry-after'], deps.now())
          : null
      const replayable = this.#body.kind !== 'stream' || !this.#body.upload.consumed
      const attempts = record.attempts
      const state = { outcome, verdict, retriesOnKey, attempts, replayable, retryAfterMs }
      const step = decideNextStep(state, deps.policy, deps.random)
      if (step.kind === 'retry') {
        discardReply(reply)
        await deps.sleep(step.delayMs, this.signal)
        retriesOnKey += 1
        continue
      }
      if (step.kind === 'switch-key') {
        const next = this.#nextKey(choice.keyId)
        if (next.kind === 'key') {
          discardReply(reply)
          choice = next.choice
          retriesOnKey = 0
          continue
        }
        // The key left service (invalid, no balance) and no other may be used now: the refusal
        // says why and until when, where the upstream's 401/403 would read, to an SDK, as if
        // the client's own key were wrong (CONTRACT §5: a refused switch is a 503).
        if (next.kind === 'refused' && OUT_OF_SERVICE.has(verdict.status)) {
          discardReply(reply)
          throw next.refusal
        }
      }
      return this.#giveUp(reply, choice.secret)
    }
  }

  /** One attempt; a client that leaves meanwhile still ends the call for the key. */
  async #send(choice: KeyChoice): Promise<AttemptReply> {
    const { request } = this.call
    let reply: AttemptReply
    try {
      reply = await sendAttempt(this.deps.transport, {
        method: request.method,
        path: this.call.upstreamPath,
        clientHeaders: request.headers,
        body: this.#body,
        secret: choice.secret,
        signal: this.signal,
      })
    } catch (error) {
      if (this.signal.aborted) await this.#endCall(choice, CLIENT_GONE)
      throw error
    }
    if (this.#body.kind === 'stream' && this.#body.upload.exceeded) {
      discardReply(reply)
      await this.#endCall(choice, CLIENT_GONE)
      throw new RequestTooLarge(this.deps.bodyLimitBytes)
    }
    return reply
  }

  /** The upstream call with `choice` is over: tell the switch guard, then the key pool. */
  async #endCall(choice: KeyChoice, outcome: AttemptOutcome): Promise<OutcomeVerdict> {
    const { keyId, guardEpoch } = choice
    this.deps.dispatch.guard.recordUse(keyId, guardEpoch)
    try {
      return await this.deps.pool.report(keyId, outcome)
    } catch (error) {
      this.call.request.log.error({ err: error, keyId }, 'the key pool could not take an outcome')
      return NO_VERDICT
    }
  }

  /** Another key, or why none may be used now (the switch guard, rate limits, no key). */
  #nextKey(failedKeyId: number): NextKey {
    try {
      const next = this.deps.dispatch.chooseKey()
      return next.keyId === failedKeyId ? { kind: 'same-key' } : { kind: 'key', choice: next }
    } catch (error) {
      const code = (error as { code?: unknown }).code
      this.call.request.log.info({ code }, 'no other key now')
      return proxyErrorAnswer(error) === undefined
        ? { kind: 'same-key' }
        : { kind: 'refused', refusal: error }
    }
  }

  /**
   * The final answer is an error: the upstream's own (passed through, without the key `secret`
   * it may quote back) or the proxy's 502/504.
   */
  async #giveUp(reply: ErrorReply, secret: string): Promise<void> {
    if (reply.kind === 'error-answer') {
      await passThroughError(this, reply.response, reply.head, reply.rest, secret)
      return
    }
    const answer = proxyErrorAnswer(reply.error)
    if (answer !== undefined) sendProxyError(this, answer)
    await this.closed
  }

  #fail(error: unknown): void {
    const { reply, request } = this.call
    if (this.signal.aborted) return
    if (reply.sent || reply.raw.headersSent) {
      request.log.error({ err: error }, 'proxy failed after the answer started')
      reply.raw.destroy()
      return
    }
    const answer = proxyErrorAnswer(error)
    if (answer !== undefined) {
      sendProxyError(this, answer)
      return
    }
    noteError(this.record, 'internal_error', 'Internal server error')
    reply.send(error)
  }

  noteFirstByte(): void {
    this.record.ttfbMs ??= Math.max(0, Math.round(this.deps.now() - this.call.startedAt))
  }

  #finishRecord(): void {
    const { record } = this
    const res = this.reply.raw
    record.durationMs = Math.max(0, Math.round(this.deps.now() - this.call.startedAt))
    record.status = res.headersSent ? res.statusCode : CLIENT_CLOSED_REQUEST
    if (!res.headersSent) record.ttfbMs = null
    const cut = this.signal.aborted && !res.writableFinished
    if (cut && (record.errorType === null || !res.headersSent)) {
      noteError(record, ERROR_TYPES.clientDisconnected, 'The client closed the connection')
    }
  }
}

/**
 * The response's end: `closed` resolves when it is finished or its connection is gone, and
 * `signal` aborts (at once, stopping the upstream request) when the client left before the end.
 */
function watchClient(res: ServerResponse): { signal: AbortSignal; closed: Promise<void> } {
  const client = new AbortController()
  const closed = new Promise<void>((resolve) => {
    const onClose = () => {
      if (!res.writableFinished) client.abort(new ClientGone())
      resolve()
    }
    if (res.destroyed) onClose()
    else res.once('close', onClose)
  })
  return { signal: client.signal, closed }
}

function attemptResult(reply: ErrorReply): AttemptResult {
  if (reply.kind === 'failure') return { kind: 'failure', code: reply.error.upstreamCode }
  const { status, headers } = reply.response
  return { kind: 'response', status, headers, errorBody: reply.head }
}
