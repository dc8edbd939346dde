import { describe, expect, it } from 'vitest'
import {
  type CompiledLimits,
  checkClientLimits,
  compileIpRanges,
  cstDay,
  cstMonth,
  filterModelList,
  ipAllowed,
  modelAllowed,
  nextCstMidnight,
  nextCstMonthStart,
} from '../src/client-limits.js'

const NO_LIMITS: CompiledLimits = {
  models: null,
  expiresAt: null,
  rpm: null,
  dailyRequests: null,
  dailyTokens: null,
  monthlySpendCny: null,
  allowedIps: null,
}
const UNUSED = { minuteRequests: 0, dayRequests: 0, dayTokens: 0, monthSpendCny: 0 }
/** 2026-01-31 23:59:30 in China Standard Time. */
const NOW = Date.UTC(2026, 0, 31, 15, 59, 30)

describe('periods in China Standard Time', () => {
  it('turns the day and the month at midnight UTC+8', () => {
    expect(cstDay(NOW)).toBe('2026-01-31')
    expect(cstDay(NOW + 30_000)).toBe('2026-02-01')
    expect(cstMonth(NOW)).toBe('2026-01')
    expect(cstMonth(NOW + 30_000)).toBe('2026-02')
    expect(nextCstMidnight(NOW)).toBe(Date.UTC(2026, 0, 31, 16))
    expect(nextCstMidnight(Date.UTC(2026, 0, 31, 16))).toBe(Date.UTC(2026, 1, 1, 16))
    expect(nextCstMonthStart(NOW)).toBe(Date.UTC(2026, 0, 31, 16))
    expect(nextCstMonthStart(Date.UTC(2026, 11, 31, 16, 0, 1))).toBe(Date.UTC(2027, 0, 31, 16))
    expect(nextCstMonthStart(Date.UTC(2026, 11, 15))).toBe(Date.UTC(2026, 11, 31, 16))
  })
})

describe('model patterns and addresses', () => {
  it('matches exact names and Org/* prefixes only', () => {
    const patterns = ['Qwen/Qwen2.5-7B-Instruct', 'deepseek-ai/*', 'Pro/*']
    expect(modelAllowed(patterns, 'Qwen/Qwen2.5-7B-Instruct')).toBe(true)
    expect(modelAllowed(patterns, 'Qwen/Qwen2.5-72B-Instruct')).toBe(false)
    expect(modelAllowed(patterns, 'deepseek-ai/DeepSeek-R1')).toBe(true)
    expect(modelAllowed(patterns, 'deepseek-ai-fake/DeepSeek-R1')).toBe(false)
    expect(modelAllowed(patterns, 'Pro/deepseek-ai/DeepSeek-V3')).toBe(true)
    expect(modelAllowed(patterns, 'qwen/qwen2.5-7b-instruct')).toBe(false)
  })

  it('matches IPv4 and IPv6 clients, a dual-stack socket’s mapped IPv4 included', () => {
    const ranges = compileIpRanges(['10.0.0.0/8', '192.0.2.1', '2001:db8::/32'])
    expect(ipAllowed(ranges, '10.255.0.1')).toBe(true)
    expect(ipAllowed(ranges, '::ffff:10.0.0.9')).toBe(true)
    expect(ipAllowed(ranges, '192.0.2.1')).toBe(true)
    expect(ipAllowed(ranges, '192.0.2.2')).toBe(false)
    expect(ipAllowed(ranges, '2001:db8:1::7')).toBe(true)
    expect(ipAllowed(ranges, '2001:db9::7')).toBe(false)
    expect(ipAllowed(ranges, null)).toBe(false)
    expect(ipAllowed(ranges, 'not an address')).toBe(false)
  })
})

describe('checkClientLimits', () => {
  const request = { model: 'Qwen/Qwen2.5-7B-Instruct', ip: '10.0.0.1', now: NOW }

  it('lets everything through without limits', () => {
    expect(checkClientLimits(NO_LIMITS, { ...UNUSED, dayRequests: 1e9 }, request)).toBeNull()
  })

  it('refuses an expired key with 401, from the expiry on', () => {
    const limits = { ...NO_LIMITS, expiresAt: NOW }
    expect(checkClientLimits(limits, UNUSED, { ...request, now: NOW - 1 })).toBeNull()
    expect(checkClientLimits(limits, UNUSED, request)).toMatchObject({
      status: 401,
      code: 'client_key_expired',
    })
  })

  it('refuses another address and another model with 403; a request without a model passes', () => {
    const ips = { ...NO_LIMITS, allowedIps: compileIpRanges(['192.0.2.0/24']) }
    expect(checkClientLimits(ips, UNUSED, request)).toMatchObject({
      status: 403,
      code: 'client_ip_not_allowed',
    })
    const models = { ...NO_LIMITS, models: ['deepseek-ai/*'] }
    expect(checkClientLimits(models, UNUSED, request)).toMatchObject({
      status: 403,
      code: 'model_not_allowed',
    })
    expect(checkClientLimits(models, UNUSED, { ...request, model: null })).toBeNull()
  })

  it('answers 429 with Retry-After to the next minute, CST midnight, the first of the month', () => {
    const rpm = checkClientLimits(
      { ...NO_LIMITS, rpm: 2 },
      { ...UNUSED, minuteRequests: 2 },
      request,
    )
    expect(rpm).toMatchObject({ status: 429, code: 'client_rate_limited', retryAfterSeconds: 30 })
    const daily = { ...NO_LIMITS, dailyRequests: 5, dailyTokens: 100 }
    expect(
      checkClientLimits(daily, { ...UNUSED, dayRequests: 4, dayTokens: 99 }, request),
    ).toBeNull()
    const at = (used: Partial<typeof UNUSED>) =>
      checkClientLimits(daily, { ...UNUSED, ...used }, { ...request, now: NOW - 3_600_000 })
    for (const used of [{ dayRequests: 5 }, { dayTokens: 100 }]) {
      expect(at(used)).toMatchObject({
        status: 429,
        code: 'client_quota_exceeded',
        retryAfterSeconds: 3630,
      })
    }
    const spend = { ...NO_LIMITS, monthlySpendCny: 10 }
    expect(checkClientLimits(spend, { ...UNUSED, monthSpendCny: 10 }, request)).toBeNull()
    const early = Date.UTC(2026, 0, 30, 16)
    expect(
      checkClientLimits(spend, { ...UNUSED, monthSpendCny: 10.01 }, { ...request, now: early }),
    ).toMatchObject({ code: 'client_quota_exceeded', retryAfterSeconds: 86_400 })
  })
})

describe('filterModelList', () => {
  it('keeps the allowed entries and every other member as it came', () => {
    const text = JSON.stringify({
      object: 'list',
      data: [{ id: 'Qwen/Qwen2.5-7B-Instruct', object: 'model' }, { id: 'BAAI/bge-m3' }, 7],
    })
    expect(JSON.parse(filterModelList(text, ['Qwen/*']) ?? '')).toEqual({
      object: 'list',
      data: [{ id: 'Qwen/Qwen2.5-7B-Instruct', object: 'model' }],
    })
    expect(filterModelList('not json', ['Qwen/*'])).toBeNull()
    expect(filterModelList('{"data":{}}', ['Qwen/*'])).toBeNull()
  })
})
