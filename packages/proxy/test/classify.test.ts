import { describe, expect, it } from 'vitest'
import { classifyAttempt, parseRetryAfter, upstreamErrorMessage } from '../src/classify.js'

const NOW = Date.parse('2026-01-01T00:00:00Z')
const answer = (status: number, body?: unknown, headers: Record<string, string> = {}) =>
  classifyAttempt(
    {
      kind: 'response',
      status,
      headers,
      errorBody: body === undefined ? null : Buffer.from(JSON.stringify(body)),
    },
    NOW,
  )

describe('classifyAttempt', () => {
  it.each([
    [200, { kind: 'success' }],
    [204, { kind: 'success' }],
    [401, { kind: 'unauthorized' }],
    [402, { kind: 'forbidden', status: 402 }],
    [403, { kind: 'forbidden', status: 403 }],
    [400, { kind: 'clientError', status: 400 }],
    [404, { kind: 'clientError', status: 404 }],
    [413, { kind: 'clientError', status: 413 }],
    [422, { kind: 'clientError', status: 422 }],
    [429, { kind: 'rateLimited', retryAfterMs: null, message: null }],
    [500, { kind: 'upstreamError', status: 500, message: null }],
    [504, { kind: 'upstreamError', status: 504, message: null }],
  ])('%i -> %o', (status, outcome) => {
    expect(answer(status)).toEqual(outcome)
  })

  it("keeps SiliconFlow's message of a 5xx (busy codes 50508/50603)", () => {
    const busy = {
      code: 50508,
      message: 'System is too busy now. Please try again later.',
      data: null,
    }
    expect(answer(503, busy)).toEqual({ kind: 'upstreamError', status: 503, message: busy.message })
    expect(answer(503, { error: { message: 'openai style' } })).toMatchObject({
      message: 'openai style',
    })
  })

  it('reads the Retry-After of a 429', () => {
    expect(answer(429, undefined, { 'retry-after': '12' })).toEqual({
      kind: 'rateLimited',
      retryAfterMs: 12_000,
      message: null,
    })
  })

  it('keeps the message of a 429, which names the limit that was hit', () => {
    const limit = {
      message: 'Request was rejected due to rate limiting. Details: RPD limit reached.',
      data: null,
    }
    expect(answer(429, limit)).toEqual({
      kind: 'rateLimited',
      retryAfterMs: null,
      message: limit.message,
    })
  })

  it('turns a failure into a networkError with its code', () => {
    expect(classifyAttempt({ kind: 'failure', code: 'ECONNRESET' })).toEqual({
      kind: 'networkError',
      code: 'ECONNRESET',
    })
  })
})

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('5', NOW)).toBe(5000)
    expect(parseRetryAfter('1.5', NOW)).toBe(1500)
    expect(parseRetryAfter(new Date(NOW + 90_000).toUTCString(), NOW)).toBe(90_000)
    expect(parseRetryAfter(new Date(NOW - 90_000).toUTCString(), NOW)).toBe(0)
    expect(parseRetryAfter(['7', '8'], NOW)).toBe(7000)
  })

  it('gives null for missing or unreadable values', () => {
    expect(parseRetryAfter(undefined, NOW)).toBeNull()
    expect(parseRetryAfter('', NOW)).toBeNull()
    expect(parseRetryAfter('soon', NOW)).toBeNull()
    expect(parseRetryAfter('-3', NOW)).toBeNull()
  })
})

describe('upstreamErrorMessage', () => {
  it('reads the known shapes and short text', () => {
    const text = (value: string) => upstreamErrorMessage(Buffer.from(value))
    expect(text('{"code":20012,"message":"Model does not exist.","data":null}')).toBe(
      'Model does not exist.',
    )
    expect(text('{"error":{"message":"bad"}}')).toBe('bad')
    expect(text('{"error":"plain"}')).toBe('plain')
    expect(text('upstream   exploded\n')).toBe('upstream exploded')
    expect(text('{"code":1}')).toBeNull()
    expect(upstreamErrorMessage(null)).toBeNull()
    expect(text('x'.repeat(1000))?.length).toBe(300)
  })
})
