import { screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { UsageCharts } from '../../../src/pages/overview/UsageCharts.js'
import { json, mockFetch } from '../../helpers/fetch-mock.js'
import { renderSignedIn } from '../../helpers/render.js'

const HOUR = 3_600_000

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
    renderSignedIn(<UsageCharts />)

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
})
