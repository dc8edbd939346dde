import { createManualClock } from '@sfp/test-support'
import { describe, expect, it } from 'vitest'
import { limitPeriodEnd, rateLimitClassOf } from '../src/rate-limit-class.js'
import { isUsable } from '../src/selection.js'
import { addKeys, createTestPool, fakeKey } from './helpers/test-pool.js'

const KEY = fakeKey(1)

const details = (limit: string) =>
  `Request was rejected due to rate limiting. Details: ${limit} limit reached.`

describe('the limit a 429 names', () => {
  it('reads each of SiliconFlow limits from the message', () => {
    for (const limit of ['RPD', 'TPD', 'IPD']) expect(rateLimitClassOf(details(limit))).toBe('day')
    expect(rateLimitClassOf(details('RPH'))).toBe('hour')
    for (const limit of ['RPM', 'TPM', 'IPM']) {
      expect(rateLimitClassOf(details(limit))).toBe('minute')
    }
    expect(
      rateLimitClassOf('Could only send 100 requests per day without real name verification'),
    ).toBe('day')
  })

  it('names none for other or no words, and never mistakes a word containing a code', () => {
    expect(rateLimitClassOf(null)).toBeNull()
    expect(rateLimitClassOf('')).toBeNull()
    expect(rateLimitClassOf('Request was rejected due to rate limiting.')).toBeNull()
    expect(rateLimitClassOf('GRPMX happened')).toBeNull()
  })
})

describe('when a period ends', () => {
  const utc = (text: string) => Date.parse(`${text}Z`)

  it('a day ends at midnight China Standard Time (16:00 UTC), across the UTC date line', () => {
    // 23:59:59 in Beijing: one second to go.
    expect(limitPeriodEnd('day', utc('2026-03-01T15:59:59.000'))).toBe(utc('2026-03-01T16:00:00'))
    // Midnight in Beijing itself starts a new day: the next end is a day later.
    expect(limitPeriodEnd('day', utc('2026-03-01T16:00:00.000'))).toBe(utc('2026-03-02T16:00:00'))
    // 07:00 in Beijing, still 23:00 of the day before in UTC.
    expect(limitPeriodEnd('day', utc('2026-03-01T23:00:00.000'))).toBe(utc('2026-03-02T16:00:00'))
    // Across a month end.
    expect(limitPeriodEnd('day', utc('2026-02-28T20:00:00.000'))).toBe(utc('2026-03-01T16:00:00'))
  })

  it('an hour ends at the next full hour', () => {
    expect(limitPeriodEnd('hour', utc('2026-03-01T15:59:59.999'))).toBe(utc('2026-03-01T16:00:00'))
    expect(limitPeriodEnd('hour', utc('2026-03-01T16:00:00.000'))).toBe(utc('2026-03-01T17:00:00'))
  })
})

describe('a key that hit its daily limit', () => {
  it('comes back by itself at midnight China time, not before', async () => {
    // 23:30 in Beijing.
    const clock = createManualClock(Date.parse('2026-03-01T15:30:00Z'))
    const { pool } = await createTestPool({ clock })
    const [id = 0] = await addKeys(pool, [KEY])
    await pool.report(id, {
      kind: 'rateLimited',
      retryAfterMs: null,
      message: 'Request was rejected due to rate limiting. Details: RPD limit reached.',
    })
    expect(pool.view(id)).toMatchObject({
      status: 'cooling',
      rateLimitClass: 'day',
      cooldownUntil: '2026-03-01T16:00:00.000Z',
    })
    const row = () => pool.row(id) ?? expect.fail('key gone')
    clock.advance(29 * 60_000 + 59_000) // 23:59:59
    expect(isUsable(row(), clock.now())).toBe(false)
    clock.advance(1000) // midnight in Beijing
    expect(isUsable(row(), clock.now())).toBe(true)
  })
})
