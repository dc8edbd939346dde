import type { NewRequestLogRow } from '@sfp/db'

let counter = 0

/** A request log row with sensible defaults; tests override what they look at. */
export function logRow(overrides: Partial<NewRequestLogRow> = {}): NewRequestLogRow {
  counter += 1
  return {
    time: Date.parse('2026-11-20T10:00:00Z'),
    requestId: `req-${counter}`,
    clientKeyId: null,
    upstreamKeyId: 1,
    method: 'POST',
    path: '/v1/chat/completions',
    model: 'Qwen/Qwen2.5-7B-Instruct',
    stream: false,
    status: 200,
    upstreamStatus: 200,
    attempts: 1,
    queueWaitMs: 0,
    ttfbMs: 100,
    durationMs: 200,
    promptTokens: 10,
    completionTokens: 5,
    totalTokens: 15,
    errorType: null,
    errorMessage: null,
    errorParams: null,
    ...overrides,
  }
}
