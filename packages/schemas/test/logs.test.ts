import { describe, expect, it } from 'vitest'
import {
  listLogsQuerySchema,
  MAX_TIME_MS,
  readLogErrorDetail,
  statsQuerySchema,
  timeInputSchema,
} from '../src/logs.js'

describe('timeInputSchema', () => {
  it('takes milliseconds and ISO 8601 times', () => {
    expect(timeInputSchema.parse('0')).toBe(0)
    expect(timeInputSchema.parse('2026-11-20T10:00:00Z')).toBe(Date.parse('2026-11-20T10:00:00Z'))
    expect(timeInputSchema.parse(String(MAX_TIME_MS))).toBe(MAX_TIME_MS)
  })

  // Regression (hostile-input property): `/api/manage/stats?to=8640000000000001` answered 500,
  // because a safe integer past the Date range passed and `toISOString()` threw.
  it('refuses milliseconds past the range of a Date, which no ISO time can show', () => {
    for (const ms of [MAX_TIME_MS + 1, Number.MAX_SAFE_INTEGER]) {
      expect(timeInputSchema.safeParse(String(ms)).success).toBe(false)
      expect(statsQuerySchema.safeParse({ to: String(ms) }).success).toBe(false)
      expect(listLogsQuerySchema.safeParse({ from: String(ms) }).success).toBe(false)
    }
  })
})

describe('readLogErrorDetail', () => {
  it("reads a row's error type and params as one typed detail", () => {
    const failure = { cause: 'connection_refused', code: 'ECONNREFUSED' }
    expect(readLogErrorDetail('upstream_unreachable', failure)).toEqual({
      type: 'upstream_unreachable',
      params: failure,
    })
    const why = { code: 'no_egress', params: { outs: [], nextAt: null } }
    expect(readLogErrorDetail('no_available_egress', { why })).toEqual({
      type: 'no_available_egress',
      params: { why },
    })
  })

  it('is null without params, for a type without any, and for params of another shape', () => {
    expect(readLogErrorDetail('upstream_error', null)).toBeNull()
    expect(readLogErrorDetail(null, { status: 500, detail: null })).toBeNull()
    expect(readLogErrorDetail('invalid_json', {})).toBeNull()
    expect(readLogErrorDetail('upstream_error', { status: '500', detail: null })).toBeNull()
    expect(readLogErrorDetail('upstream_timeout', { cause: 'gone', code: 'X' })).toBeNull()
  })
})
