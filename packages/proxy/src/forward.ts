import type { ServerResponse } from 'node:http'
import type { Lease } from '@sfp/dispatch'
import { wayOutExplanation } from '@sfp/egress'
import type { AttemptOutcome, OutcomeVerdict } from '@sfp/key-pool'
import { explanation, explanationOf } from '@sfp/schemas'
import { type AttemptReply, discardReply, sendAttempt } from './attempt.js'
import { type AttemptResult, classifyAttempt, parseRetryAfter } from './classify.js'
import {
  CLIENT_GONE,
  type Delivery,
  deliverAnswer,
  passThroughError,
  sendProxyError,
} from './deliver.js'
import { ClientGone, ClientRefused, proxyErrorAnswer } from './errors.js'
import { decideNextStep } from './failover.js'
import { CLIENT_CLOSED_REQUEST, newRecord, noteError, type ProxyRequestRecord } from './record.js'
import { RequestAbort } from './request-abort.js'
import { type BodyFacts, type ClientBody, prepareJsonBody, UPLOAD_FACTS } from './request-body.js'
import type { SlowReaders } from './slow-readers.js'
import {
  type Forwarder,
  type ForwarderDeps,
  isReadable,
  type ProxyCall,
  type ProxyReply,
} from './types.js'
import { discardUpload, receiveUpload } from './upload.js'

/** When the pool cannot judge (it threw), keep the key and do not move: the safe default. */
const NO_VERDICT: OutcomeVerdict = { status: 'active', moveOn: false }

export function createForwarder(deps: ForwarderDeps): Forwarder {
  return { forward: (call) => new ForwardRun(deps, call).run() }
}

type ErrorReply = Exclude<AttemptReply, { kind: 'answer' }>

/** States in which a key no longer serves; a refused move away from one is answered as such. */
const OUT_OF_SERVICE: ReadonlySet<OutcomeVerdict['status']> = new Set(['invalid', 'insufficient'])

/**
 * The life of one proxied request: body, queue, attempts, delivery, record. The body is received
 * whole before the request queues, so a slow client never holds a lane. The lease (a slot of one
 * egress lane and its key) is held from the first attempt until the answer is delivered, failed
 * or the client is gone, and released exactly once on every path. Retries, key moves and lane
 * moves happen only before the first byte of an answer reaches the client.
 * @see README "How it behaves" and "Egress lanes"
 */
class ForwardRun implements Delivery {
  readonly record: ProxyRequestRecord
  readonly reply: ProxyReply
  readonly closed: Promise<void>
  readonly signal: AbortSignal
  readonly slowReaders: SlowReaders
  #body: ClientBody = { kind: 'none' }
  #facts: BodyFacts = UPLOAD_FACTS
  #lease: Lease | null = null
  /** Lanes this request left after a way-out failure or a block: not again. */
  #leftLanes: Set<number> | undefined

  constructor(
    private readonly deps: ForwarderDeps,
    private readonly call: ProxyCall,
  ) {
    const { request, reply } = call
    this.reply = reply
    this.slowReaders = deps.slowReaders
    this.record = newRecord({
      time: call.startedAt,
      requestId: request.id,
      clientKeyId: call.clientKeyId,
      method: request.method,
      path: call.upstreamPath.split('?')[0] ?? call.upstreamPath,
      clientIp: call.clientIp,
    })
    const client = watchClient(reply.raw)
    this.signal = client.signal
    this.closed = client.closed
  }

  async run(): Promise<void> {
    const { request } = this.call
    try {
      // A JSON body is in already (bytes, parsed by the route): no promise to wait for.
      if (Buffer.isBuffer(request.body)) this.#takeJsonBody(request.body)
      else await this.#receiveUpload()
      this.record.model = this.#facts.model
      this.record.stream = this.#facts.stream
      this.#admit()
      const lease = await this.deps.dispatch.lease({
        signal: this.signal,
        clientKeyId: this.call.clientKeyId,
        model: this.#facts.model,
      })
      this.#lease = lease
      // The client may have left while the grant was on its way: send nothing, for nobody.
      if (this.signal.aborted) throw this.signal.reason
      this.record.queueWaitMs = Math.round(lease.waitedMs)
      await this.#attempts()
    } catch (error) {
      this.#fail(error)
    } finally {
      this.#lease?.release()
      await this.closed
      this.#finishRecord()
      if (this.#body.kind === 'file') await discardUpload(this.#body).catch(() => {})
      try {
        this.deps.onComplete(this.record)
      } catch (error) {
        request.log.error({ err: error }, 'the request record could not be taken')
      }
    }
  }

  /** The client key's own limits (docs/behaviour.md §12): a refusal queues and sends nothing. */
  #admit(): void {
    const { clientKeyId, clientIp } = this.call
    const request = { model: this.#facts.model, ip: clientIp, now: this.deps.now() }
    const refusal = this.deps.admit?.({ clientKeyId }, request)
    if (refusal) throw new ClientRefused(refusal)
  }

  /** JSON arrives as bytes, parsed by the route. */
  #takeJsonBody(bytes: Buffer): void {
    const prepared = prepareJsonBody(bytes, this.call.upstreamPath)
    this.#body = prepared.body
    this.#facts = prepared.facts
  }

  /** Any other body is received here, whole (none at all for a bodyless request). */
  async #receiveUpload(): Promise<void> {
    const { request } = this.call
    const { body } = request
    if (isReadable(body)) {
      this.#body = await receiveUpload(body, request.headers['content-length'], {
        limit: this.deps.bodyLimitBytes,
        idleMs: this.deps.clientBodyIdleTimeoutMs,
        spoolDir: this.deps.spoolDir,
      })
    }
  }

  async #attempts(): Promise<void> {
    const { deps, record } = this
    let lease = this.#lease as Lease
    let retriesOnKey = 0
    let laneMoves = 0
    let modelMoves = 0
    for (;;) {
      record.attempts += 1
      record.upstreamKeyId = lease.keyId
      record.egressId = lease.laneId
      record.upstreamStatus = null
      lease.beginCall()
      const reply = await this.#send(lease)
      if (reply.kind === 'answer') {
        const dropUsageEvent = this.#facts.injectedUsage
        const outcome = await deliverAnswer(this, reply.response, dropUsageEvent, lease.secret)
        await this.#endCall(lease, outcome)
        return
      }
      if (reply.kind === 'error-answer') record.upstreamStatus = reply.response.status
      if (this.#egressFailed(lease, reply)) {
        discardReply(reply)
        if (this.signal.aborted) throw this.signal.reason
        lease = await this.#moveLane(lease)
        laneMoves += 1
        retriesOnKey = 0
        continue
      }
      const outcome = classifyAttempt(attemptResult(reply), deps.now(), this.#facts.model)
      const verdict = await this.#endCall(lease, outcome)
      if (this.signal.aborted) {
        discardReply(reply)
        throw this.signal.reason
      }
      const retryAfterMs =
        reply.kind === 'error-answer'
          ? parseRetryAfter(reply.response.headers['retry-after'], deps.now())
          : null
      const attempts = record.attempts - laneMoves
      const state = { outcome, verdict, retriesOnKey, attempts, replayable: true, retryAfterMs }
      const step = decideNextStep(state, deps.policy, deps.random)
      // Upstream refused the request's model to this key (its balance fine): another key that
      // may use it serves the request, chosen by the dispatch; when none may, its 403 says so.
      if (verdict.blockedModel !== undefined && modelMoves < deps.policy.maxKeys - 1) {
        const secret = lease.secret
        const next = await this.#leaseForModel(lease, reply)
        if (next === null) return this.#giveUp(reply, secret)
        discardReply(reply)
        lease = next
        modelMoves += 1
        retriesOnKey = 0
        continue
      }
      if (step.kind === 'retry') {
        discardReply(reply)
        await deps.sleep(step.delayMs, this.signal)
        retriesOnKey += 1
        continue
      }
      if (step.kind === 'switch-key') {
        let moved: boolean
        try {
          moved = lease.switchKey()
        } catch (refusal) {
          const code = (refusal as { code?: unknown }).code
          this.call.request.log.info({ code }, 'no other key now')
          // The key left service (invalid, no balance) and no other may be used now: the
          // refusal says why and until when, where the upstream's 401/403 would read, to an
          // SDK, as if the client's own key were wrong (a refused switch is a 503).
          if (proxyErrorAnswer(refusal) !== undefined && OUT_OF_SERVICE.has(verdict.status)) {
            discardReply(reply)
            throw refusal
          }
          moved = false
        }
        if (moved) {
          discardReply(reply)
          retriesOnKey = 0
          continue
        }
      }
      return this.#giveUp(reply, lease.secret)
    }
  }

  /**
   * The lane's fault, not the key's: the way out failed before the request left (proxy refused,
   * 407, SOCKS refusal, tunnel or TLS not established), or upstream refused this IP (a block code).
   */
  #egressFailed(lease: Lease, reply: ErrorReply): boolean {
    if (reply.kind === 'failure' && !this.signal.aborted && lease.isWayOutFailure(reply.error)) {
      lease.failEgress(wayOutExplanation(reply.error.failure))
      return true
    }
    if (reply.kind === 'error-answer' && lease.isBlockAnswer(reply.head)) {
      lease.failEgress(explanation('egress_blocked', { status: reply.response.status }))
      return true
    }
    return false
  }

  /** Another lane, before anyone else (this request was admitted already); the refusal if none. */
  async #moveLane(from: Lease): Promise<Lease> {
    this.#leftLanes ??= new Set()
    this.#leftLanes.add(from.laneId)
    from.release()
    this.#lease = null
    const lease = await this.deps.dispatch.lease({
      signal: this.signal,
      exclude: this.#leftLanes,
      clientKeyId: this.call.clientKeyId,
      model: this.#facts.model,
    })
    this.#lease = lease
    if (this.signal.aborted) throw this.signal.reason
    return lease
  }

  /**
   * A lease for the request's model after its key was refused it: the dispatch never hands out
   * a key refused that model. Null when it refuses for another reason (the switch guard, a full
   * queue): the upstream's 403 is passed through. When no key may use the model at all, its 403
   * `model_unavailable` is the answer (thrown), saying why in words the client can act on.
   */
  async #leaseForModel(from: Lease, reply: ErrorReply): Promise<Lease | null> {
    from.release()
    this.#lease = null
    try {
      const lease = await this.deps.dispatch.lease({
        signal: this.signal,
        clientKeyId: this.call.clientKeyId,
        model: this.#facts.model,
        ...(this.#leftLanes ? { exclude: this.#leftLanes } : {}),
      })
      this.#lease = lease
      if (this.signal.aborted) throw this.signal.reason
      return lease
    } catch (refusal) {
      if (this.signal.aborted || explanationOf(refusal)?.code === 'model_unavailable') {
        discardReply(reply)
        throw refusal
      }
      this.call.request.log.info(
        { code: (refusal as { code?: unknown }).code },
        'no key for the model now',
      )
      return null
    }
  }

  /** One attempt; a client that leaves meanwhile still ends the call for the key. */
  async #send(lease: Lease): Promise<AttemptReply> {
    const { request } = this.call
    try {
      return await sendAttempt(this.deps.transport, {
        dispatcher: lease.dispatcher,
        method: request.method,
        path: this.call.upstreamPath,
        clientHeaders: request.headers,
        body: this.#body,
        secret: lease.secret,
        signal: this.signal,
      })
    } catch (error) {
      if (this.signal.aborted) await this.#endCall(lease, CLIENT_GONE)
      throw error
    }
  }

  /** The upstream call through the lease is over: its lane and the key pool hear it. */
  async #endCall(lease: Lease, outcome: AttemptOutcome): Promise<OutcomeVerdict> {
    try {
      return await lease.end(outcome)
    } catch (error) {
      this.call.request.log.error(
        { err: error, keyId: lease.keyId },
        'the key pool could not take an outcome',
      )
      return NO_VERDICT
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
    if (answer !== undefined) sendProxyError(this, answer, reply.error)
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
      sendProxyError(this, answer, error)
      return
    }
    noteError(this.record, { type: 'internal_error', params: null }, 'Internal server error')
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
      const left = { type: 'client_disconnected', params: { cutAfterMs: null } } as const
      noteError(record, left, 'The client closed the connection')
    }
  }
}

/**
 * The response's end: `closed` resolves when it is finished or its connection is gone, and
 * `signal` aborts (at once, stopping the upstream request) when the client left before the end.
 */
function watchClient(res: ServerResponse): { signal: AbortSignal; closed: Promise<void> } {
  const client = new RequestAbort()
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
  if (reply.kind === 'failure') return { kind: 'failure', code: reply.error.failure.code }
  const { status, headers } = reply.response
  return { kind: 'response', status, headers, errorBody: reply.head }
}
