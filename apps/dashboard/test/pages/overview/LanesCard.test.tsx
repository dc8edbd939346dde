import { screen, within } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { OverviewPage } from '../../../src/pages/overview/OverviewPage.js'
import { json, mockFetch } from '../../helpers/fetch-mock.js'
import { keyView, laneStatus, statusView } from '../../helpers/fixtures.js'
import { renderSignedIn } from '../../helpers/render.js'

const GUARD = laneStatus().switchGuard

/** The built-in lane serving with key #1, and a proxy lane whose IP is blocked. */
function lanesStatus() {
  return statusView({
    dispatch: { concurrency: 2, inFlight: 1, queued: 3, queueMax: 100, oldestWaitMs: 800 },
    egresses: [
      laneStatus({
        id: 1,
        dispatch: { concurrency: 1, inFlight: 1, queued: 0, queueMax: 100, oldestWaitMs: 0 },
        switchGuard: {
          ...GUARD,
          nextSwitchAllowedAt: new Date(Date.now() + 10 * 60_000).toISOString(),
        },
      }),
      laneStatus({
        id: 3,
        label: 'tokyo proxy',
        state: 'blocked',
        dispatch: { concurrency: 1, inFlight: 0, queued: 2, queueMax: 100, oldestWaitMs: 0 },
        switchGuard: {
          ...GUARD,
          currentKeyId: 2,
          lastUsedKeyId: 2,
          blocked: {
            code: 'egress_blocked',
            message: 'Upstream blocked the IP of egress #3',
            retryAfterSeconds: 600,
            explanation: null,
          },
        },
      }),
    ],
  })
}

function renderOverview(status = lanesStatus()) {
  mockFetch({
    'GET /api/manage/status': () => json(status),
    'GET /api/manage/api-keys': () =>
      json({
        keys: [
          keyView({ id: 1, maskedKey: 'sk-aaaa…0001', isCurrent: true }),
          keyView({ id: 2, maskedKey: 'sk-bbbb…0002', isCurrent: true, egressId: 3 }),
        ],
        total: 2,
      }),
    'GET /api/manage/stats': () =>
      json({
        from: new Date(Date.now() - 86_400_000).toISOString(),
        to: new Date().toISOString(),
        bucketSeconds: 300,
        buckets: [],
      }),
    'GET /api/manage/key-events': () => json({ events: [] }),
  })
  renderSignedIn(<OverviewPage />, { live: true })
}

const laneOf = (id: number) => {
  const lane = document.querySelector<HTMLElement>(`[data-lane-id="${id}"]`)
  if (!lane) throw new Error(`no lane #${id}`)
  return lane
}

describe('the overview’s lanes card', () => {
  it('lists each lane with its state, key, slots, queue, guard countdown and refusal', async () => {
    renderOverview()
    const card = await screen.findByRole('region', { name: '出口通道' })
    expect(within(card).getByRole('link', { name: '管理出口' }).getAttribute('href')).toBe(
      '/egresses',
    )

    const direct = laneOf(1)
    expect(within(direct).getByText('出口 #1')).toBeTruthy()
    expect(within(direct).getByText('正常')).toBeTruthy()
    expect(await within(direct).findByText('sk-aaaa…0001')).toBeTruthy()
    expect(within(direct).getByText('1 / 1')).toBeTruthy()
    expect(within(direct).getByRole('timer').textContent).toMatch(/^(10:00|09:5\d)$/)

    const blocked = laneOf(3)
    expect(within(blocked).getByText('tokyo proxy')).toBeTruthy()
    expect(within(blocked).getByText('#3')).toBeTruthy()
    expect(within(blocked).getByText('IP 被封')).toBeTruthy()
    expect(within(blocked).getByText('sk-bbbb…0002')).toBeTruthy()
    expect(within(blocked).getByText('0 / 1')).toBeTruthy()
    expect(within(blocked).getByText('2')).toBeTruthy()
    expect(within(blocked).getByText('现在可以切换')).toBeTruthy()
    expect(blocked.textContent).toContain('请求正被拒绝: 出口 IP 被封 · 600 秒后重试')
    expect(within(blocked).getByText('Upstream blocked the IP of egress #3')).toBeTruthy()

    // The top-level cards keep the totals.
    const queue = screen.getByRole('region', { name: '调度队列' })
    expect(within(queue).getByText('1 / 2')).toBeTruthy()
    expect(within(queue).getByText('3 / 100')).toBeTruthy()
  })

  it('translates a refusal for want of any egress, and says when there is no lane', async () => {
    const status = lanesStatus()
    renderOverview({
      ...status,
      switchGuard: {
        ...status.switchGuard,
        blocked: {
          code: 'no_available_egress',
          message: 'all egresses down',
          retryAfterSeconds: 5,
          explanation: null,
        },
      },
      egresses: [],
    })
    const card = await screen.findByRole('region', { name: '出口通道' })
    expect(within(card).getByText('没有出口通道：所有请求都会被拒绝。')).toBeTruthy()
    const guard = screen.getByRole('region', { name: '密钥切换保护' })
    expect(within(guard).getByRole('alert').textContent).toContain('没有可用出口')
  })
})
