import { screen, within } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { OverviewPage } from '../../../src/pages/overview/OverviewPage.js'
import { json, mockFetch } from '../../helpers/fetch-mock.js'
import {
  instanceStatus,
  keyView,
  laneStatus,
  SELF_INSTANCE_ID,
  statusView,
} from '../../helpers/fixtures.js'
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

function renderOverview(status = lanesStatus(), language: 'zh' | 'en' = 'zh') {
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
  renderSignedIn(<OverviewPage />, { live: true, language })
}

/** The same lanes in cluster mode: #1 driven here, #3 by instance sfp-b, #5 by nobody. */
function clusterLanesStatus() {
  const status = lanesStatus()
  return statusView({
    ...status,
    mode: 'cluster',
    egresses: [
      ...status.egresses.map((lane) =>
        lane.id === 3 ? { ...lane, drivenBy: 'sfp-b' } : { ...lane, drivenBy: SELF_INSTANCE_ID },
      ),
      laneStatus({ id: 5, label: 'spare', state: 'disabled', drivenBy: null }),
    ],
    instances: [
      instanceStatus(),
      instanceStatus({ id: 'sfp-b', address: null, lanes: [3], self: false }),
    ],
  })
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

  it('in cluster mode, names the instance driving each lane and marks figures not this one’s', async () => {
    renderOverview(clusterLanesStatus())
    await screen.findByRole('region', { name: '出口通道' })

    const own = laneOf(1)
    expect(within(own).getByText('驱动实例')).toBeTruthy()
    expect(within(own).getByText(SELF_INSTANCE_ID)).toBeTruthy()
    expect(within(own).getByText('本实例')).toBeTruthy()
    const ownSlots = within(own).getByText('1 / 1')
    expect(ownSlots.classList.contains('figures--elsewhere')).toBe(false)
    expect(ownSlots.getAttribute('title')).toBeNull()

    const elsewhere = laneOf(3)
    expect(within(elsewhere).getByText('sfp-b')).toBeTruthy()
    expect(within(elsewhere).queryByText('本实例')).toBeNull()
    const slots = within(elsewhere).getByText('0 / 1')
    expect(slots.classList.contains('figures--elsewhere')).toBe(true)
    expect(slots.getAttribute('title')).toBe(
      '这是实例 sfp-b 的数字：这条通道由它驱动，不是本实例。',
    )
    const queued = within(elsewhere).getByText('2')
    expect(queued.classList.contains('figures--elsewhere')).toBe(true)
    expect(queued.classList.contains('stat--warning')).toBe(false)

    const idle = laneOf(5)
    expect(within(idle).getByText('无人驱动')).toBeTruthy()
    expect(within(idle).getByText('0 / 1').getAttribute('title')).toBe(
      '目前没有实例驱动这条通道，这些数字不属于本实例。',
    )
  })

  it('says who drives a lane in English too', async () => {
    renderOverview(clusterLanesStatus(), 'en')
    await screen.findByRole('region', { name: 'Egress lanes' })
    expect(within(laneOf(1)).getByText('Driven by')).toBeTruthy()
    expect(within(laneOf(1)).getByText('This instance')).toBeTruthy()
    expect(within(laneOf(3)).getByText('0 / 1').getAttribute('title')).toBe(
      'These figures are instance sfp-b’s: it drives this lane, not this instance.',
    )
    expect(within(laneOf(5)).getByText('Not driven')).toBeTruthy()
  })

  it('words a refusal for want of the database', async () => {
    const status = clusterLanesStatus()
    renderOverview({
      ...status,
      switchGuard: {
        ...status.switchGuard,
        blocked: {
          code: 'database_unavailable',
          message: 'instance sfp-a cannot reach its database',
          retryAfterSeconds: 15,
          explanation: {
            code: 'no_lane_held',
            params: { instanceId: SELF_INSTANCE_ID, reason: 'database' },
          },
        },
      },
    })
    const guard = await screen.findByRole('region', { name: '密钥切换保护' })
    const alert = within(guard).getByRole('alert').textContent
    expect(alert).toContain('请求正被拒绝: 本实例连不上数据库 · 15 秒后重试')
    expect(alert).toContain(`实例 ${SELF_INSTANCE_ID} 连不上数据库（PostgreSQL）`)
  })

  it('shows no driver in single mode', async () => {
    renderOverview()
    await screen.findByRole('region', { name: '出口通道' })
    expect(within(laneOf(1)).queryByText('驱动实例')).toBeNull()
    expect(within(laneOf(3)).getByText('0 / 1').getAttribute('title')).toBeNull()
  })
})
