import type { ClientKeyView, StatsBucketView } from '@sfp/schemas'
import { screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ClientUsage } from '../../../src/pages/client-keys/ClientUsage.js'
import { json, mockFetch, type RecordedRequest } from '../../helpers/fetch-mock.js'
import { renderSignedIn } from '../../helpers/render.js'

const HOUR = 3_600_000
const NOW = Date.UTC(2025, 4, 14, 12, 0, 0)

const LAPTOP = { id: 1, name: 'laptop' } as ClientKeyView

function bucket(hoursAgo: number, overrides: Partial<StatsBucketView> = {}): StatsBucketView {
  return {
    start: new Date(NOW - hoursAgo * HOUR).toISOString(),
    requests: 0,
    errors: 0,
    promptTokens: 0,
    completionTokens: 0,
    totalTokens: 0,
    avgLatencyMs: null,
    maxLatencyMs: null,
    avgTtfbMs: null,
    cost: null,
    ...overrides,
  }
}

/** A `groupBy=client` answer covering what was asked. */
function statsAnswer(request: RecordedRequest, byClient: unknown[]): Response {
  return json({
    from: new Date(Number(request.url.searchParams.get('from'))).toISOString(),
    to: new Date(Number(request.url.searchParams.get('to'))).toISOString(),
    bucketSeconds: request.url.searchParams.get('bucket') === 'day' ? 86_400 : 3600,
    buckets: [],
    byClient,
  })
}

function statsCalls(requests: RecordedRequest[]): URLSearchParams[] {
  return requests
    .filter((request) => request.url.pathname === '/api/manage/stats')
    .map((request) => request.url.searchParams)
}

afterEach(() => {
  vi.useRealTimers()
})

describe('ClientUsage', () => {
  it('sums each key’s buckets, names the env keys, and shows an unpriced cost as —', async () => {
    mockFetch({
      'GET /api/manage/stats': (request) =>
        statsAnswer(request, [
          {
            clientKeyId: 1,
            buckets: [
              bucket(2, { requests: 3, errors: 1, totalTokens: 100, cost: 0.5 }),
              bucket(1, { requests: 4, errors: 0, totalTokens: 250, cost: null }),
              bucket(0, { requests: 5, errors: 2, totalTokens: 50, cost: 0.25 }),
            ],
          },
          {
            clientKeyId: null,
            buckets: [bucket(2), bucket(1, { requests: 2, totalTokens: 7 }), bucket(0)],
          },
          { clientKeyId: 9, buckets: [bucket(2), bucket(1), bucket(0, { requests: 1 })] },
        ]),
    })
    renderSignedIn(<ClientUsage keys={[LAPTOP]} />)

    const laptop = (await screen.findByRole('rowheader', { name: 'laptop' })).closest('tr')
    expect(cells(laptop)).toEqual(['12', '3', '400', '¥0.75'])
    const env = screen.getByRole('rowheader', { name: '环境变量中的密钥或无密钥' }).closest('tr')
    expect(cells(env)).toEqual(['2', '0', '7', '—'])
    // A key no longer in the list (revoked): by its id.
    expect(screen.getByRole('rowheader', { name: '密钥 #9' })).toBeTruthy()

    expect(
      screen.getByRole('img', { name: '“laptop”的请求: 共 12 次请求，3 次错误（25.0%）' }),
    ).toBeTruthy()
    expect(
      screen.getByRole('img', { name: /^“环境变量中的密钥或无密钥”的请求: 共 2 次请求/ }),
    ).toBeTruthy()
  })

  it('asks for 24 hourly buckets, then 7 daily ones when switched', async () => {
    vi.useFakeTimers({ now: NOW, toFake: ['Date'] })
    const { requests } = mockFetch({
      'GET /api/manage/stats': (request) => statsAnswer(request, []),
    })
    renderSignedIn(<ClientUsage keys={[LAPTOP]} />)
    expect(await screen.findByText('这段时间没有请求。')).toBeTruthy()

    await userEvent.click(screen.getByRole('button', { name: '最近 7 天' }))
    await vi.waitFor(() => expect(statsCalls(requests)).toHaveLength(2))
    expect(
      statsCalls(requests).map((query) => ({
        groupBy: query.get('groupBy'),
        bucket: query.get('bucket'),
        from: Number(query.get('from')),
        to: Number(query.get('to')),
      })),
    ).toEqual([
      { groupBy: 'client', bucket: 'hour', from: NOW - 24 * HOUR, to: NOW },
      { groupBy: 'client', bucket: 'day', from: NOW - 7 * 24 * HOUR, to: NOW },
    ])
  })
})

/** The number cells of a table row, as shown. */
function cells(row: HTMLElement | null): string[] {
  if (!row) throw new Error('no row')
  return within(row)
    .getAllByRole('cell')
    .map((cell) => cell.textContent ?? '')
}
