import { act, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { useState } from 'react'
import { describe, expect, it, vi } from 'vitest'
import { UsageCharts } from '../../../src/pages/overview/UsageCharts.js'
import { json, mockFetch, type RecordedRequest } from '../../helpers/fetch-mock.js'
import { renderSignedIn } from '../../helpers/render.js'

const HOUR = 3_600_000

/** A stats answer with no traffic, covering what was asked. */
function emptyStats(request: RecordedRequest): Response {
  const from = Number(request.url.searchParams.get('from'))
  const to = Number(request.url.searchParams.get('to'))
  return json({
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    bucketSeconds: request.url.searchParams.get('bucket') === 'hour' ? 3600 : 300,
    buckets: [],
  })
}

function statsCalls(requests: RecordedRequest[]): RecordedRequest[] {
  return requests.filter((request) => request.url.pathname === '/api/manage/stats')
}

/** Lets timers run and the answers they cause arrive. */
async function advance(ms: number): Promise<void> {
  await act(() => vi.advanceTimersByTimeAsync(ms))
}

describe('UsageCharts', () => {
  it('labels the y-axis with the true values of its lines, halves included', async () => {
    const to = Date.now()
    const start = Math.floor(to / 300_000) * 300_000
    mockFetch({
      'GET /api/manage/stats': () =>
        json({
          from: new Date(to - 24 * HOUR).toISOString(),
          to: new Date(to).toISOString(),
          bucketSeconds: 300,
          buckets: [
            {
              start: new Date(start).toISOString(),
              requests: 1,
              errors: 0,
              promptTokens: 3,
              completionTokens: 2,
              totalTokens: 5,
              avgLatencyMs: 120,
              maxLatencyMs: 120,
              avgTtfbMs: 40,
            },
          ],
        }),
    })
    renderSignedIn(<UsageCharts activity={null} />)

    const requests = await screen.findByRole('img', { name: /^请求: 共 1 次请求/ })
    const axisLabels = [...requests.querySelectorAll('.chart__grid text')].map((t) => t.textContent)
    expect(axisLabels).toEqual(['0', '0.5', '1'])
    const tokens = screen.getByRole('img', { name: /^Token: 共 5 Token/ })
    expect([...tokens.querySelectorAll('.chart__grid text')].map((t) => t.textContent)).toEqual([
      '0',
      '2.5',
      '5',
    ])
  })

  it('switches between 24 hours of 5-minute buckets and 7 days of hourly ones', async () => {
    const { requests } = mockFetch({ 'GET /api/manage/stats': emptyStats })
    renderSignedIn(<UsageCharts activity={null} />)
    await screen.findByRole('img', { name: /^请求: 共 0 次请求/ })
    const day = screen.getByRole('button', { name: '最近 24 小时' })
    const week = screen.getByRole('button', { name: '最近 7 天' })
    expect(day.getAttribute('aria-pressed')).toBe('true')

    await userEvent.click(week)
    expect(week.getAttribute('aria-pressed')).toBe('true')
    expect(day.getAttribute('aria-pressed')).toBe('false')
    const ranges = statsCalls(requests).map(({ url }) => ({
      hours: (Number(url.searchParams.get('to')) - Number(url.searchParams.get('from'))) / HOUR,
      bucket: url.searchParams.get('bucket'),
    }))
    expect(ranges).toEqual([
      { hours: 24, bucket: '5m' },
      { hours: 7 * 24, bucket: 'hour' },
    ])
  })

  it('refreshes on live activity, at most every 5 s and 1.5 s after it at the earliest', async () => {
    vi.useFakeTimers({ now: Date.UTC(2025, 4, 14, 12, 0, 0) })
    const { requests } = mockFetch({ 'GET /api/manage/stats': emptyStats })
    let setActivity: (activity: string) => void = () => undefined
    function LiveCharts() {
      const [activity, set] = useState<string | null>(null)
      setActivity = set
      return <UsageCharts activity={activity} />
    }
    renderSignedIn(<LiveCharts />)
    const show = (activity: string) => act(() => setActivity(activity))
    await advance(0)
    expect(statsCalls(requests)).toHaveLength(1)

    // The first status is where things stand, not activity.
    show('idle')
    await advance(10_000)
    expect(statsCalls(requests)).toHaveLength(1)

    // A request starts and ends: one refresh, once the log batch has landed.
    show('in flight')
    await advance(1000)
    show('done')
    await advance(499)
    expect(statsCalls(requests)).toHaveLength(1)
    await advance(1)
    expect(statsCalls(requests)).toHaveLength(2)

    // Steady traffic: a refresh every 5 s, not one per change.
    for (let second = 1; second <= 10; second++) {
      show(`busy ${second}`)
      await advance(1000)
    }
    expect(statsCalls(requests)).toHaveLength(4)

    // Quiet again: nothing more until the regular minute.
    await advance(30_000)
    expect(statsCalls(requests)).toHaveLength(4)
  })
})
