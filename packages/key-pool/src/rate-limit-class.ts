import type { RateLimitClass } from '@sfp/schemas'

const HOUR_MS = 3_600_000
const DAY_MS = 24 * HOUR_MS
/** China Standard Time is UTC+8 all year (no daylight saving): SiliconFlow's day. */
const CHINA_OFFSET_MS = 8 * HOUR_MS

/**
 * The limit a 429's message names (docs/upstream.md §5): `Request was rejected due to rate
 * limiting. Details: TPM limit reached.`, and for accounts without real-name verification
 * `Could only send 100 requests per day without real name verification`. Per-day limits are
 * looked for first: a message naming a daily and a per-minute limit is the longer wait.
 */
export function rateLimitClassOf(message: string | null | undefined): RateLimitClass | null {
  if (!message) return null
  if (/\b(?:RPD|TPD|IPD)\b|per\s+day|real[\s-]*name/i.test(message)) return 'day'
  if (/\bRPH\b|per\s+hour/i.test(message)) return 'hour'
  if (/\b(?:RPM|TPM|IPM)\b|per\s+minute/i.test(message)) return 'minute'
  return null
}

/**
 * When a per-hour or per-day limit resets, after `now`: the next full hour (China's hours are
 * whole hours from UTC, so UTC's full hour is China's too), or the next midnight in China
 * Standard Time.
 */
export function limitPeriodEnd(limit: 'hour' | 'day', now: number): number {
  if (limit === 'hour') return (Math.floor(now / HOUR_MS) + 1) * HOUR_MS
  const chinaDay = Math.floor((now + CHINA_OFFSET_MS) / DAY_MS)
  return (chinaDay + 1) * DAY_MS - CHINA_OFFSET_MS
}
