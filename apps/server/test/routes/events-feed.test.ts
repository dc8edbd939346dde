import type { StatusView } from '@sfp/schemas'
import { createManualClock, type ManualClock } from '@sfp/test-support'
import { describe, expect, it } from 'vitest'
import { createStatusFeed, type EventSink } from '../../src/routes/api/manage/events.js'

/** A stream that records what the feed writes and lets the test play the socket. */
class FakeSink implements EventSink {
  writableNeedDrain = false
  ended = false
  readonly chunks: string[] = []
  readonly #listeners = new Map<string, (() => void)[]>()
  write(chunk: string): boolean {
    this.chunks.push(chunk)
    return true
  }
  end(): void {
    this.ended = true
  }
  on(event: 'close' | 'drain', listener: () => void): this {
    this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), listener])
    return this
  }
  emit(event: 'close' | 'drain'): void {
    for (const listener of this.#listeners.get(event) ?? []) listener()
  }
  /** The `inFlight` of each status event, in order. */
  statuses(): number[] {
    return this.chunks
      .filter((chunk) => chunk.startsWith('event: status\n'))
      .map((chunk) => (JSON.parse(chunk.split('data: ')[1] ?? '') as StatusView).dispatch.inFlight)
  }
}

function feedWith(throttleMs = 500, heartbeatMs = 15_000) {
  clock = createManualClock()
  let inFlight = 0
  let listener: (() => void) | null = null
  const feed = createStatusFeed({
    view: () => ({ dispatch: { inFlight } }) as StatusView,
    subscribe: (next) => {
      listener = next
      return () => {
        listener = null
      }
    },
    throttleMs,
    heartbeatMs,
    clock,
  })
  return {
    feed,
    change(value: number) {
      inFlight = value
      listener?.()
    },
    subscribed: () => listener !== null,
  }
}

/** The feed's timers, moved by hand; a new one for each feed. */
let clock: ManualClock = createManualClock()

describe('status feed', () => {
  it('sends the status when a client joins, then coalesces a burst into one trailing event', () => {
    const { feed, change } = feedWith()
    const sink = new FakeSink()
    feed.add(sink)
    expect(sink.statuses()).toEqual([0])
    change(1)
    change(2)
    change(3)
    expect(sink.statuses()).toEqual([0]) // never inside the caller's stack
    clock.advance(0)
    expect(sink.statuses()).toEqual([0, 3])
  })

  it('sends at most one event per throttle interval, always ending on the last state', () => {
    const { feed, change } = feedWith(500)
    const sink = new FakeSink()
    feed.add(sink)
    change(1)
    clock.advance(0)
    change(2)
    clock.advance(200)
    change(3)
    clock.advance(299)
    expect(sink.statuses()).toEqual([0, 1])
    clock.advance(1)
    expect(sink.statuses()).toEqual([0, 1, 3])
    clock.advance(5000)
    expect(sink.statuses()).toEqual([0, 1, 3])
  })

  it('sends a comment heartbeat to quiet streams', () => {
    const { feed } = feedWith(500, 15_000)
    const sink = new FakeSink()
    feed.add(sink)
    clock.advance(15_000)
    expect(sink.chunks.at(-1)).toBe(': keep-alive\n\n')
  })

  it('skips frames while the socket is full and sends the latest on drain', () => {
    const { feed, change } = feedWith(0)
    const sink = new FakeSink()
    feed.add(sink)
    sink.writableNeedDrain = true
    change(1)
    clock.advance(0)
    change(2)
    clock.advance(0)
    expect(sink.statuses()).toEqual([0])
    sink.writableNeedDrain = false
    sink.emit('drain')
    expect(sink.statuses()).toEqual([0, 2])
  })

  it('unsubscribes and stops its timers when the last client leaves', () => {
    const { feed, change, subscribed } = feedWith()
    const sink = new FakeSink()
    feed.add(sink)
    change(1)
    expect(subscribed()).toBe(true)
    sink.emit('close')
    expect(subscribed()).toBe(false)
    expect(feed.size).toBe(0)
    expect(clock.pendingTimers()).toBe(0)
  })

  it('ends every stream at shutdown and refuses new ones', () => {
    const { feed, subscribed } = feedWith()
    const first = new FakeSink()
    const second = new FakeSink()
    feed.add(first)
    feed.add(second)
    feed.endAll()
    expect([first.ended, second.ended]).toEqual([true, true])
    expect(subscribed()).toBe(false)
    const late = new FakeSink()
    feed.add(late)
    expect(late.ended).toBe(true)
    expect(late.chunks).toEqual([])
  })
})
