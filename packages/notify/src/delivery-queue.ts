import type { Clock } from '@sfp/runtime'
import {
  type NotificationFailure,
  type NotificationTarget,
  type NotifierStatus,
  notificationFailureText,
} from '@sfp/schemas'
import { composeMessage } from './catalog.js'
import { type DeliveryDeps, deliverOnce } from './deliver.js'
import { PLATFORMS } from './platforms/index.js'
import type { Notice } from './types.js'

/** The part of a pino / Fastify logger the notifier uses. */
export interface NotifierLogger {
  warn(details: Record<string, unknown>, message: string): void
}

/** How a message to one target ended, after its retries: what the lead may store on the target. */
export type DeliveryOutcome =
  | { targetId: number; event: Notice['event']; ok: true; at: number }
  | {
      targetId: number
      event: Notice['event']
      ok: false
      failure: NotificationFailure
      at: number
    }

export interface DeliveryQueueOptions {
  clock: Clock
  delivery: DeliveryDeps
  /** Aborted by the notifier's `close()`. */
  stop: AbortSignal
  /** The current target of that id, or undefined when it is gone. */
  findTarget(id: number): NotificationTarget | undefined
  wants(target: NotificationTarget, event: Notice['event']): boolean
  retries: number
  backoffMs: number
  maxBackoffMs: number
  queueLimit: number
  logger?: NotifierLogger | undefined
  onOutcome?: ((outcome: DeliveryOutcome) => void) | undefined
}

interface TargetQueue {
  readonly id: number
  readonly notices: Notice[]
  pumping: Promise<void> | null
  cancelWait: (() => void) | null
  sent: number
  failed: number
  dropped: number
  lastSentAt: number | null
  lastError: NotificationFailure | null
  lastErrorAt: number | null
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

/**
 * One bounded queue per target, sent in order one message at a time (a recovery never overtakes
 * its raise; a dead target delays only itself), each message retried with doubling waits on the
 * clock for the failures where trying again can help.
 */
export function createDeliveryQueue(options: DeliveryQueueOptions) {
  const { clock, logger } = options
  const queues = new Map<number, TargetQueue>()
  let dropped = 0
  let closed = false

  function queueOf(id: number): TargetQueue {
    let queue = queues.get(id)
    if (queue === undefined) {
      queue = {
        id,
        notices: [],
        pumping: null,
        cancelWait: null,
        sent: 0,
        failed: 0,
        dropped: 0,
        lastSentAt: null,
        lastError: null,
        lastErrorAt: null,
      }
      queues.set(id, queue)
    }
    return queue
  }

  function report(outcome: DeliveryOutcome) {
    try {
      options.onOutcome?.(outcome)
    } catch (error) {
      logger?.warn({ err: error, targetId: outcome.targetId }, 'notification outcome not recorded')
    }
  }

  /** Resolves true after `ms` on the clock, false when the notifier closes first. */
  function wait(queue: TargetQueue, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const cancel = clock.setTimer(() => {
        queue.cancelWait = null
        resolve(true)
      }, ms)
      queue.cancelWait = () => {
        cancel()
        resolve(false)
      }
    })
  }

  /** One notice to one target until it is delivered, refused for good or out of attempts. */
  async function deliver(queue: TargetQueue, notice: Notice): Promise<void> {
    for (let attempt = 0; !closed; attempt++) {
      // Read again each time: the admin may have edited, disabled or deleted the target.
      const target = options.findTarget(queue.id)
      if (target === undefined || !options.wants(target, notice.event)) return
      const platform = PLATFORMS[target.kind]
      const message = composeMessage(notice, target.language)
      const outgoing = platform.build(target, message, clock.now())
      const result = await deliverOnce(target, platform, outgoing, options.stop, options.delivery)
      if (closed) return
      const at = clock.now()
      if (result.ok) {
        queue.sent += 1
        queue.lastSentAt = at
        report({ targetId: queue.id, event: notice.event, ok: true, at })
        return
      }
      queue.lastError = result.failure
      queue.lastErrorAt = at
      const last = !result.retry || attempt >= options.retries
      logger?.warn(
        {
          targetId: queue.id,
          kind: target.kind,
          event: notice.event,
          attempt: attempt + 1,
          failure: result.failure,
          willRetry: !last,
        },
        `notification not delivered: ${notificationFailureText(result.failure)}`,
      )
      if (last) {
        queue.failed += 1
        report({ targetId: queue.id, event: notice.event, ok: false, failure: result.failure, at })
        return
      }
      const backoff = Math.min(options.backoffMs * 2 ** attempt, options.maxBackoffMs)
      if (!(await wait(queue, backoff))) return
    }
  }

  async function pump(queue: TargetQueue): Promise<void> {
    for (
      let notice = queue.notices[0];
      notice !== undefined && !closed;
      notice = queue.notices[0]
    ) {
      await deliver(queue, notice)
      queue.notices.shift()
    }
  }

  function startPump(queue: TargetQueue) {
    if (queue.pumping !== null || closed) return
    queue.pumping = pump(queue)
      .catch((error: unknown) =>
        logger?.warn({ err: error, targetId: queue.id }, 'notifier failed'),
      )
      .finally(() => {
        queue.pumping = null
        if (queue.notices.length > 0) startPump(queue)
      })
  }

  return {
    /** False when the target's queue is full: the notice is dropped and counted. */
    enqueue(targetId: number, notice: Notice): boolean {
      if (closed) return false
      const queue = queueOf(targetId)
      if (queue.notices.length >= options.queueLimit) {
        queue.dropped += 1
        dropped += 1
        logger?.warn(
          { targetId, event: notice.event, queueLimit: options.queueLimit },
          'notification dropped: queue full',
        )
        return false
      }
      queue.notices.push(notice)
      startPump(queue)
      return true
    },

    /** Per target that has had a message since the start; `queued` counts the one in flight. */
    status(): Omit<NotifierStatus, 'activeConditions'> {
      const targets = [...queues.values()].map((queue) => ({
        id: queue.id,
        queued: queue.notices.length,
        dropped: queue.dropped,
        sent: queue.sent,
        failed: queue.failed,
        lastSentAt: iso(queue.lastSentAt),
        lastError: queue.lastError,
        lastErrorAt: iso(queue.lastErrorAt),
      }))
      const queued = targets.reduce((sum, target) => sum + target.queued, 0)
      return { queued, dropped, targets }
    },

    /** Cancels the backoff waits and waits for every pump to stop; the caller aborts sends first. */
    async close(): Promise<void> {
      closed = true
      for (const queue of queues.values()) queue.cancelWait?.()
      await Promise.allSettled([...queues.values()].map((queue) => queue.pumping))
      for (const queue of queues.values()) queue.notices.length = 0
    },
  }
}
