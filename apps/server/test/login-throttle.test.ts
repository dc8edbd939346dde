import { createManualClock } from '@sfp/test-support'
import { describe, expect, it } from 'vitest'
import { createLoginThrottle } from '../src/login-throttle.js'

const MINUTE = 60_000
const WINDOW = 10 * MINUTE

describe('login throttle', () => {
  it('blocks an address after 10 failures until the window has passed', () => {
    const clock = createManualClock()
    const throttle = createLoginThrottle({ now: clock.now })
    for (let i = 0; i < 9; i++) throttle.recordFailure('203.0.113.7')
    expect(throttle.blockedFor('203.0.113.7')).toBe(0)

    throttle.recordFailure('203.0.113.7')
    expect(throttle.blockedFor('203.0.113.7')).toBe(600)
    expect(throttle.blockedFor('203.0.113.8')).toBe(0)

    clock.advance(WINDOW - 1_500)
    expect(throttle.blockedFor('203.0.113.7')).toBe(2)
    clock.advance(1_499)
    expect(throttle.blockedFor('203.0.113.7')).toBe(1)
    clock.advance(1)
    expect(throttle.blockedFor('203.0.113.7')).toBe(0)
  })

  it('slides: the oldest failures expire one by one', () => {
    const clock = createManualClock()
    const throttle = createLoginThrottle({ now: clock.now })
    for (let i = 0; i < 10; i++) {
      throttle.recordFailure('203.0.113.7')
      clock.advance(MINUTE)
    }
    // The first failure was 10 minutes ago: it has left the window, nine remain.
    expect(throttle.blockedFor('203.0.113.7')).toBe(0)

    throttle.recordFailure('203.0.113.7')
    // Ten again; the oldest of them (the second failure) leaves in one minute.
    expect(throttle.blockedFor('203.0.113.7')).toBe(60)
    clock.advance(MINUTE)
    expect(throttle.blockedFor('203.0.113.7')).toBe(0)
  })

  it('forgets an address once it logs in', () => {
    const clock = createManualClock()
    const throttle = createLoginThrottle({ now: clock.now })
    for (let i = 0; i < 9; i++) throttle.recordFailure('203.0.113.7')
    throttle.recordSuccess('203.0.113.7')
    throttle.recordFailure('203.0.113.7')
    expect(throttle.blockedFor('203.0.113.7')).toBe(0)
  })

  it('tracks at most maxAddresses, dropping the least recently failing one', () => {
    const clock = createManualClock()
    const throttle = createLoginThrottle({ now: clock.now, maxFailures: 1, maxAddresses: 2 })
    throttle.recordFailure('198.51.100.1')
    throttle.recordFailure('198.51.100.2')
    // .1 fails again, so .2 is now the least recently failing.
    throttle.recordFailure('198.51.100.1')
    throttle.recordFailure('198.51.100.3')

    expect(throttle.blockedFor('198.51.100.1')).toBe(600)
    expect(throttle.blockedFor('198.51.100.2')).toBe(0)
    expect(throttle.blockedFor('198.51.100.3')).toBe(600)
  })
})
