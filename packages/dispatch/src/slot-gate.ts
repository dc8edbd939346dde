import type { DispatchStatus } from '@sfp/schemas'
import {
  QueueFull,
  QueueTimeout,
  retryAfterSeconds,
  ShuttingDown,
  withRetryAfter,
} from './errors.js'
import { createListenerSet } from './listeners.js'
import type { DispatchSlot } from './types.js'
import { type Linked, WaiterList } from './waiter-list.js'
import { withSlot } from './with-slot.js'

/** Starts a one-shot timer and returns its cancel function (injected by tests). */
export type SetTimer = (callback: () => void, delayMs: number) => () => void

export interface SlotGateOptions {
  /** DISPATCH_CONCURRENCY: slots in total. */
  concurrency: number
  /** DISPATCH_QUEUE_MAX: waiters beyond the slots; more are refused at once. */
  queueMax: number
  /** DISPATCH_QUEUE_TIMEOUT_MS: longest wait for a slot. */
  queueTimeoutMs: number
  now: () => number
  setTimer?: SetTimer
  /** Errors of change listeners and of slots found leaked by the garbage collector. */
  reportError?: (error: unknown) => void
}

export interface SlotGate {
  /** A slot, first in first out; see `Dispatch.acquire` for the ways it rejects. */
  acquire(signal?: AbortSignal): Promise<DispatchSlot>
  /** Run `task` holding a slot, released however the task ends. */
  withSlot<T>(task: (slot: DispatchSlot) => Promise<T>, signal?: AbortSignal): Promise<T>
  status(): DispatchStatus
  /** Called after a slot is taken or released and after the queue changes. */
  onChange(listener: () => void): () => void
  /** Shutdown: queued waiters reject with ShuttingDown, and so does every later `acquire`. */
  close(): void
}

/** Retry-After for queue_full before any slot has been released, so no hold time is known. */
export const QUEUE_FULL_DEFAULT_RETRY_SECONDS = 5
/** Longest Retry-After for queue_full: OpenAI's SDKs ignore longer ones and use their own backoff. */
export const QUEUE_FULL_MAX_RETRY_SECONDS = 60
/** Weight of the newest hold time in the moving average behind queue_full's Retry-After. */
const HOLD_AVERAGE_WEIGHT = 0.2

export const startTimer: SetTimer = (callback, delayMs) => {
  const timer = setTimeout(callback, delayMs)
  timer.unref()
  return () => clearTimeout(timer)
}

/** One queued `acquire`. It is its own abort listener (`handleEvent`): no closure per waiter. */
class Waiter implements Linked<Waiter> {
  prev: Waiter | null = null
  next: Waiter | null = null
  listed = false
  constructor(
    readonly enqueuedAt: number,
    readonly signal: AbortSignal | undefined,
    readonly resolve: (slot: DispatchSlot) => void,
    readonly reject: (reason: unknown) => void,
    readonly onAbort: (waiter: Waiter) => void,
  ) {}
  handleEvent(): void {
    this.onAbort(this)
  }
}

/** Shared between a slot and the leak detector, which must not keep the slot itself alive. */
interface SlotState {
  released: boolean
  admittedAt: number
}

/**
 * DISPATCH_CONCURRENCY slots and a FIFO queue of waiters (CONTRACT §5). A released slot goes
 * straight to the next waiter, so a free slot and a waiting request never coexist. All waiters
 * share one timeout and leave in arrival order, so one timer, set for the oldest waiter's
 * deadline, serves the whole queue.
 */
export function createSlotGate(options: SlotGateOptions): SlotGate {
  const { concurrency, queueMax, queueTimeoutMs, now } = options
  const setTimer = options.setTimer ?? startTimer
  const reportError = options.reportError ?? ((error: unknown) => console.error(error))
  const queue = new WaiterList<Waiter>()
  const listeners = createListenerSet(reportError)
  let inFlight = 0
  let closed = false
  let cancelTimer: (() => void) | null = null
  let averageHoldMs: number | null = null

  // Last resort against a holder that drops its slot without `release()`: once the slot is
  // garbage, its place is given back, so one bug cannot wedge a gate of one slot forever.
  const leakDetector = new FinalizationRegistry<SlotState>((state) => {
    if (state.released) return
    freeSlot(state)
    reportError(new Error('a dispatch slot was garbage-collected without release(); freed it'))
  })

  function admit(waitedMs: number): DispatchSlot {
    inFlight += 1
    const state: SlotState = { released: false, admittedAt: now() }
    const slot: DispatchSlot = {
      waitedMs,
      release() {
        if (state.released) return
        leakDetector.unregister(state)
        freeSlot(state)
      },
    }
    leakDetector.register(slot, state, state)
    return slot
  }

  function freeSlot(state: SlotState): void {
    state.released = true
    inFlight -= 1
    const heldMs = now() - state.admittedAt
    averageHoldMs =
      averageHoldMs === null
        ? heldMs
        : averageHoldMs + HOLD_AVERAGE_WEIGHT * (heldMs - averageHoldMs)
    const next = queue.shift()
    if (next !== null) {
      unlisten(next)
      next.resolve(admit(now() - next.enqueuedAt))
      if (queue.size === 0) stopTimer()
    }
    listeners.notify()
  }

  function unlisten(waiter: Waiter): void {
    waiter.signal?.removeEventListener('abort', waiter)
  }

  function leaveQueue(waiter: Waiter, reason: unknown): void {
    queue.remove(waiter)
    unlisten(waiter)
    waiter.reject(reason)
  }

  function abandon(waiter: Waiter): void {
    if (!waiter.listed) return
    leaveQueue(waiter, waiter.signal?.reason)
    if (queue.size === 0) stopTimer()
    listeners.notify()
  }

  function armTimer(): void {
    const head = queue.peek()
    if (cancelTimer !== null || head === null) return
    const deadline = head.enqueuedAt + queueTimeoutMs
    cancelTimer = setTimer(expireWaiters, Math.max(0, deadline - now()))
  }

  function stopTimer(): void {
    cancelTimer?.()
    cancelTimer = null
  }

  /** The timer may fire for a head that has left since; then it just moves on to the new head. */
  function expireWaiters(): void {
    cancelTimer = null
    const time = now()
    let expired = 0
    for (let head = queue.peek(); head !== null; head = queue.peek()) {
      if (head.enqueuedAt + queueTimeoutMs > time) break
      leaveQueue(head, new QueueTimeout(queueTimeoutMs))
      expired += 1
    }
    armTimer()
    if (expired > 0) listeners.notify()
  }

  /** Roughly when one queue place frees: the average hold time spread over the slots. */
  function queueFullRetrySeconds(): number {
    if (averageHoldMs === null) return QUEUE_FULL_DEFAULT_RETRY_SECONDS
    const seconds = retryAfterSeconds(averageHoldMs / concurrency)
    return Math.min(QUEUE_FULL_MAX_RETRY_SECONDS, seconds)
  }

  function acquire(signal?: AbortSignal): Promise<DispatchSlot> {
    if (closed) return Promise.reject(new ShuttingDown())
    if (signal?.aborted) return Promise.reject(signal.reason)
    if (inFlight < concurrency) {
      const slot = admit(0)
      listeners.notify()
      return Promise.resolve(slot)
    }
    if (queue.size >= queueMax) {
      const seconds = queueFullRetrySeconds()
      return Promise.reject(withRetryAfter(new QueueFull(queue.size, seconds), seconds))
    }
    return new Promise<DispatchSlot>((resolve, reject) => {
      const waiter = new Waiter(now(), signal, resolve, reject, abandon)
      queue.push(waiter)
      signal?.addEventListener('abort', waiter, { once: true })
      armTimer()
      listeners.notify()
    })
  }

  return {
    acquire,
    withSlot: (task, signal) => withSlot({ acquire }, task, signal),
    status() {
      const head = queue.peek()
      return {
        concurrency,
        inFlight,
        queued: queue.size,
        queueMax,
        oldestWaitMs: head === null ? 0 : Math.max(0, Math.round(now() - head.enqueuedAt)),
      }
    },
    onChange: (listener) => listeners.add(listener),
    close() {
      if (closed) return
      closed = true
      stopTimer()
      const hadWaiters = queue.size > 0
      for (let head = queue.peek(); head !== null; head = queue.peek()) {
        leaveQueue(head, new ShuttingDown())
      }
      if (hadWaiters) listeners.notify()
    },
  }
}
