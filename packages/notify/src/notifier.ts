import type { Clock } from '@sfp/runtime'
import {
  type NotificationCondition,
  type NotificationTarget,
  type NotificationTestResult,
  type NotifierStatus,
  recoveryOf,
} from '@sfp/schemas'
import { Agent, type Dispatcher } from 'undici'
import { composeMessage } from './catalog.js'
import { deliverOnce } from './deliver.js'
import { createDeliveryQueue, type DeliveryOutcome, type NotifierLogger } from './delivery-queue.js'
import { PLATFORMS } from './platforms/index.js'
import type { Condition, Notice } from './types.js'

export interface NotifierOptions {
  clock: Clock
  /** The targets as stored now (secrets in plain text); read at every raise and every attempt. */
  targets: () => readonly NotificationTarget[]
  /** Where requests go; the caller closes it. Without one the notifier owns an Agent. */
  dispatcher?: Dispatcher | undefined
  logger?: NotifierLogger | undefined
  /** One attempt is cut after this long (10 s). */
  timeoutMs?: number | undefined
  /** Attempts after the first one, for failures worth retrying (5). */
  retries?: number | undefined
  /** The first wait before a retry (1 s); each next one doubles, up to `maxBackoffMs` (60 s). */
  backoffMs?: number | undefined
  maxBackoffMs?: number | undefined
  /** Messages a target may have waiting (50); more are dropped and counted. */
  queueLimit?: number | undefined
  /** Each message's end, after its retries: the lead may store `lastSentAt` / `lastError`. */
  onOutcome?: ((outcome: DeliveryOutcome) => void) | undefined
}

export interface Notifier {
  /** Tell the subscribed targets once; repeated raises of the same condition do nothing. */
  raise(condition: Condition): void
  /** The condition is over: `<event>_recovered` to the targets the raise was queued for. */
  clear(event: NotificationCondition, subjectId: string): void
  /**
   * Drop every condition of the subject without a message: the admin deleted or disabled the
   * key or egress, which is no recovery to announce.
   */
  forget(subjectId: string): void
  /** The dashboard's test button: one message, no retry, whatever the target's events. */
  sendTest(target: NotificationTarget): Promise<NotificationTestResult>
  status(): NotifierStatus
  /** Stops the timers, aborts what is in flight, drops what waits. */
  close(): Promise<void>
}

interface ActiveCondition {
  subjectId: string
  subject: string
  /** Targets the raise was queued for: only they hear of the recovery. */
  targetIds: Set<number>
}

const wants = (target: NotificationTarget, event: Notice['event']) =>
  target.enabled && (event === 'test' || target.events.includes(event))

/**
 * Tells the operator's targets about conditions, once per condition until it clears. Nothing here
 * waits for a receiver or throws into the caller: `raise` and `clear` queue and return.
 */
export function createNotifier(options: NotifierOptions): Notifier {
  const { clock, logger } = options
  const ownAgent = options.dispatcher === undefined ? new Agent() : null
  const delivery = {
    clock,
    dispatcher: options.dispatcher ?? (ownAgent as Agent),
    timeoutMs: options.timeoutMs ?? 10_000,
  }
  const stop = new AbortController()
  const active = new Map<string, ActiveCondition>()
  const tests = new Set<Promise<unknown>>()
  let closed = false

  function currentTargets(): readonly NotificationTarget[] {
    try {
      return options.targets()
    } catch (error) {
      logger?.warn({ err: error }, 'notification targets could not be read')
      return []
    }
  }

  const queue = createDeliveryQueue({
    clock,
    delivery,
    stop: stop.signal,
    findTarget: (id) => currentTargets().find((target) => target.id === id),
    wants,
    retries: options.retries ?? 5,
    backoffMs: options.backoffMs ?? 1_000,
    maxBackoffMs: options.maxBackoffMs ?? 60_000,
    queueLimit: options.queueLimit ?? 50,
    logger,
    onOutcome: options.onOutcome,
  })

  const conditionKey = (event: string, subjectId: string) => `${event}\u0000${subjectId}`

  function raise(condition: Condition) {
    try {
      const key = conditionKey(condition.event, condition.subjectId)
      if (closed || active.has(key)) return
      const entry: ActiveCondition = {
        subjectId: condition.subjectId,
        subject: condition.subject,
        targetIds: new Set(),
      }
      active.set(key, entry)
      const notice: Notice = {
        event: condition.event,
        subject: condition.subject,
        facts: { ...condition.facts },
        time: clock.now(),
      }
      for (const target of currentTargets()) {
        if (wants(target, condition.event) && queue.enqueue(target.id, notice)) {
          entry.targetIds.add(target.id)
        }
      }
    } catch (error) {
      logger?.warn({ err: error, event: condition.event }, 'notification not raised')
    }
  }

  function clear(event: NotificationCondition, subjectId: string) {
    try {
      const key = conditionKey(event, subjectId)
      const entry = active.get(key)
      if (closed || entry === undefined) return
      active.delete(key)
      const recovery = recoveryOf(event)
      const notice: Notice = {
        event: recovery,
        subject: entry.subject,
        facts: {},
        time: clock.now(),
      }
      for (const target of currentTargets()) {
        if (entry.targetIds.has(target.id) && wants(target, recovery)) {
          queue.enqueue(target.id, notice)
        }
      }
    } catch (error) {
      logger?.warn({ err: error, event }, 'notification not cleared')
    }
  }

  function forget(subjectId: string) {
    for (const [key, entry] of active) if (entry.subjectId === subjectId) active.delete(key)
  }

  async function sendTest(target: NotificationTarget): Promise<NotificationTestResult> {
    if (closed) return { ok: false, status: null, error: { code: 'closed', params: {} } }
    const notice: Notice = { event: 'test', subject: 'test', facts: {}, time: clock.now() }
    const platform = PLATFORMS[target.kind]
    const outgoing = platform.build(target, composeMessage(notice, target.language), clock.now())
    const sending = deliverOnce(target, platform, outgoing, stop.signal, delivery)
    tests.add(sending)
    try {
      const result = await sending
      return result.ok
        ? { ok: true, status: result.status, error: null }
        : { ok: false, status: result.status, error: result.failure }
    } finally {
      tests.delete(sending)
    }
  }

  async function close() {
    if (closed) return
    closed = true
    stop.abort()
    await Promise.allSettled([queue.close(), ...tests])
    await ownAgent?.destroy()
  }

  return {
    raise,
    clear,
    forget,
    sendTest,
    status: () => ({ ...queue.status(), activeConditions: active.size }),
    close,
  }
}
