import { beforeEach, describe, expect, it } from 'vitest'
import { InvariantMonitor } from '../../src/upstream/invariant-monitor.js'

const GUARD = 1000
const K1 = 'sk-key-one-0001'
const K2 = 'sk-key-two-0002'
const A = '127.0.0.2'
const B = '127.0.0.3'

let now: number
let monitor: InvariantMonitor

beforeEach(() => {
  now = 10_000
  monitor = new InvariantMonitor({ guardWindowMs: GUARD, concurrency: 1 }, () => now)
})

/** A request that starts and ends at the current clock time. */
function instant(source: string, key: string): void {
  monitor.requestStarted(source, key)()
}

describe('InvariantMonitor: concurrency', () => {
  it('counts a request arriving while `concurrency` requests of its source are open', () => {
    const end = monitor.requestStarted(A, K1)
    monitor.requestStarted(A, K1)
    expect(monitor.violations().concurrency).toEqual([
      { kind: 'concurrency', at: now, source: A, key: 'sk-key…', gapMs: 0 },
    ])
    end()
  })

  it('allows back-to-back requests, and open requests of other sources', () => {
    instant(A, K1)
    instant(A, K1)
    const end = monitor.requestStarted(A, K1)
    monitor.requestStarted(B, K2)
    end()
    expect(monitor.violations().total).toBe(0)
  })

  it('respects a higher limit', () => {
    monitor = new InvariantMonitor({ guardWindowMs: GUARD, concurrency: 2 }, () => now)
    monitor.requestStarted(A, K1)
    monitor.requestStarted(A, K1)
    expect(monitor.violations().total).toBe(0)
    monitor.requestStarted(A, K1)
    expect(monitor.violations().concurrency).toHaveLength(1)
  })
})

describe('InvariantMonitor: keySwitch (one source, another key too soon)', () => {
  it('is fine exactly guardWindowMs after the other key was last active', () => {
    instant(A, K1)
    now += GUARD
    instant(A, K2)
    expect(monitor.violations().total).toBe(0)
  })

  it('is a violation 1 ms sooner, with the gap and the other key', () => {
    instant(A, K1)
    now += GUARD - 1
    instant(A, K2)
    expect(monitor.violations().keySwitch).toEqual([
      { kind: 'keySwitch', at: now, source: A, key: 'sk-key…', otherKey: 'sk-key…', gapMs: 999 },
    ])
  })

  it('measures from the end of a long request, not its arrival', () => {
    const end = monitor.requestStarted(A, K1)
    now += 5 * GUARD
    end()
    now += GUARD - 1
    instant(A, K2)
    expect(monitor.violations().keySwitch).toHaveLength(1)
  })

  it('is a violation, gap 0, while the other key is still in flight', () => {
    monitor = new InvariantMonitor({ guardWindowMs: GUARD, concurrency: 5 }, () => now)
    monitor.requestStarted(A, K1)
    now += 10 * GUARD
    instant(A, K2)
    const { keySwitch, concurrency } = monitor.violations()
    expect(keySwitch.map((v) => v.gapMs)).toEqual([0])
    expect(concurrency).toEqual([])
  })

  it('counts once per request, naming the most recently active of several other keys', () => {
    instant(A, 'sk-aaaa-1')
    now += 10
    instant(A, 'sk-bbbb-2')
    now += 20
    instant(A, 'sk-cccc-3')
    expect(monitor.violations().keySwitch).toMatchObject([
      { key: 'sk-bbb…', otherKey: 'sk-aaa…', gapMs: 10 },
      { key: 'sk-ccc…', otherKey: 'sk-bbb…', gapMs: 20 },
    ])
  })
})

describe('InvariantMonitor: keyMove (one key, another source too soon)', () => {
  it('is fine exactly guardWindowMs after the key was last active elsewhere', () => {
    instant(A, K1)
    now += GUARD
    instant(B, K1)
    expect(monitor.violations().total).toBe(0)
  })

  it('is a violation 1 ms sooner, naming the source it came from', () => {
    instant(A, K1)
    now += GUARD - 1
    instant(B, K1)
    expect(monitor.violations().keyMove).toEqual([
      { kind: 'keyMove', at: now, source: B, key: 'sk-key…', otherSource: A, gapMs: 999 },
    ])
  })

  it('is a violation while the key is still in flight from the other source', () => {
    monitor.requestStarted(A, K1)
    now += 10 * GUARD
    instant(B, K1)
    expect(monitor.violations().keyMove).toMatchObject([{ otherSource: A, gapMs: 0 }])
  })

  it('lets a key move for good after the window, and come back after another', () => {
    instant(A, K1)
    now += GUARD
    instant(B, K1)
    instant(B, K1)
    now += GUARD
    instant(A, K1)
    expect(monitor.violations().total).toBe(0)
  })
})

describe('InvariantMonitor: bookkeeping', () => {
  it('counts requests per source, keyless ones too, and ends each request once', () => {
    const end = monitor.requestStarted(A, K1)
    end()
    end()
    monitor.requestStarted(A, undefined)
    monitor.requestStarted(B, K2)
    expect(monitor.sources()).toEqual(
      new Map([
        [A, 2],
        [B, 1],
      ]),
    )
    // A double end() must not make room for a second concurrent request.
    monitor.requestStarted(A, K1)
    monitor.requestStarted(A, K1)
    expect(monitor.violations().concurrency).toHaveLength(1)
  })

  it('resetViolations() clears the record but remembers what is in flight', () => {
    monitor.requestStarted(A, K1)
    monitor.requestStarted(A, K1)
    monitor.resetViolations()
    expect(monitor.violations()).toEqual({ concurrency: [], keySwitch: [], keyMove: [], total: 0 })
    instant(A, K2)
    expect(monitor.violations().total).toBe(2)
  })
})
