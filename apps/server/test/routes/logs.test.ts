import { type ListLogsResponse, readLogErrorDetail } from '@sfp/schemas'
import { describe, expect, it } from 'vitest'
import { logRow } from '../helpers/log-rows.js'
import { basicAuth, buildTestApp } from '../helpers/test-app.js'

async function appWithLogs() {
  const test = await buildTestApp()
  const base = Date.parse('2026-11-20T00:00:00Z')
  for (let i = 0; i < 25; i++) {
    test.app.requestLog.record(
      logRow({
        requestId: `r${i}`,
        time: base + i * 60_000,
        upstreamKeyId: i % 2 === 0 ? 1 : 2,
        egressId: i % 3 === 0 ? 2 : 1,
        clientIp: '203.0.113.9',
        status: i % 5 === 0 ? 503 : i % 7 === 0 ? 429 : 200,
        model: i < 10 ? 'deepseek-ai/DeepSeek-V3' : 'Qwen/Qwen2.5-7B-Instruct',
      }),
    )
  }
  const get = async (query: string) => {
    const response = await test.app.inject({
      method: 'GET',
      url: `/api/manage/logs${query}`,
      headers: { authorization: basicAuth() },
    })
    return { status: response.statusCode, body: response.json() as ListLogsResponse }
  }
  return { ...test, get, base }
}

describe('GET /api/manage/logs', () => {
  it('pages newest first with a cursor until the end', async () => {
    const { get } = await appWithLogs()
    const seen: string[] = []
    let cursor: string | null = ''
    while (cursor !== null) {
      const { body } = await get(`?limit=10${cursor ? `&cursor=${cursor}` : ''}`)
      seen.push(...body.items.map((item) => item.requestId))
      cursor = body.nextCursor
    }
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `r${24 - i}`))
  })

  it('returns whole entries with ISO times', async () => {
    const { get, base } = await appWithLogs()
    const { body } = await get('?limit=1')
    expect(body.items[0]).toEqual({
      id: 25,
      time: new Date(base + 24 * 60_000).toISOString(),
      requestId: 'r24',
      clientKeyId: null,
      upstreamKeyId: 1,
      egressId: 2,
      clientIp: '203.0.113.9',
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
      cost: null,
    })
  })

  it("stores an error's type with its params and answers both; older rows keep their text", async () => {
    const { app, get } = await appWithLogs()
    const refused = { cause: 'connection_refused', code: 'ECONNREFUSED' } as const
    app.requestLog.record(
      logRow({
        requestId: 'unreachable',
        status: 502,
        errorType: 'upstream_unreachable',
        errorMessage:
          'The upstream could not be reached or sent a broken answer (connection refused)',
        errorParams: refused,
      }),
    )
    app.requestLog.record(
      logRow({
        requestId: 'older',
        status: 502,
        errorType: 'upstream_unreachable',
        errorMessage: 'x',
      }),
    )
    const { body } = await get('?limit=2')
    const [older, unreachable] = body.items
    expect(readLogErrorDetail(unreachable?.errorType ?? null, unreachable?.errorParams)).toEqual({
      type: 'upstream_unreachable',
      params: refused,
    })
    expect(unreachable?.errorMessage).toContain('connection refused')
    expect(older).toMatchObject({
      errorType: 'upstream_unreachable',
      errorMessage: 'x',
      errorParams: null,
    })
  })

  it.each([
    ['?keyId=2', (i: number) => i % 2 === 1],
    ['?egressId=2', (i: number) => i % 3 === 0],
    ['?status=503', (i: number) => i % 5 === 0],
    ['?status=5xx', (i: number) => i % 5 === 0],
    ['?status=error', (i: number) => i % 5 === 0 || (i % 7 === 0 && i % 5 !== 0)],
    ['?status=2xx', (i: number) => i % 5 !== 0 && i % 7 !== 0],
    ['?model=deepseek-ai/DeepSeek-V3', (i: number) => i < 10],
    ['?from=2026-11-20T00:10:00Z&to=2026-11-20T00:12:00Z', (i: number) => i >= 10 && i <= 12],
  ])('filters by %s', async (query, expected) => {
    const { get } = await appWithLogs()
    const { status, body } = await get(`${query}&limit=100`)
    expect(status).toBe(200)
    const want = Array.from({ length: 25 }, (_, i) => i)
      .filter(expected)
      .reverse()
      .map((i) => `r${i}`)
    expect(body.items.map((item) => item.requestId)).toEqual(want)
  })

  it.each([
    ['?limit=0', 'query.limit'],
    ['?limit=501', 'query.limit'],
    ['?cursor=abc', 'query.cursor'],
    ['?status=7xx', 'query.status'],
    ['?from=yesterday', 'query.from'],
  ])('rejects %s with 400 naming the field', async (query, field) => {
    const { get } = await appWithLogs()
    const { status, body } = await get(query)
    expect(status).toBe(400)
    expect(body).toMatchObject({
      error: { code: 'validation_error', fields: [expect.objectContaining({ field })] },
    })
  })
})
