import type { StatusView } from '@sfp/schemas'
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

/** Two instances on one PostgreSQL: this one drives lane #1, the other lanes #3 and #4. */
function clusterStatus(): StatusView {
  const now = Date.now()
  return statusView({
    mode: 'cluster',
    egresses: [
      laneStatus({ id: 1 }),
      laneStatus({ id: 3, label: 'tokyo proxy', drivenBy: 'sfp-b' }),
      laneStatus({ id: 4, drivenBy: 'sfp-b' }),
    ],
    instances: [
      instanceStatus({ lastSeenAt: new Date(now - 2 * 60_000).toISOString() }),
      instanceStatus({
        id: 'sfp-b',
        address: null,
        startedAt: '2025-05-14T08:00:00.000Z',
        lastSeenAt: new Date(now - 3 * 60_000).toISOString(),
        lanes: [3, 4],
        self: false,
      }),
      instanceStatus({ id: 'sfp-c', address: '10.0.0.3:3000', lanes: [], self: false }),
    ],
  })
}

function renderOverview(status: StatusView, language: 'zh' | 'en' = 'zh') {
  mockFetch({
    'GET /api/manage/status': () => json(status),
    'GET /api/manage/api-keys': () => json({ keys: [keyView()], total: 1 }),
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

const rowOf = (id: string) => {
  const row = document.querySelector<HTMLElement>(`[data-instance-id="${id}"]`)
  if (!row) throw new Error(`no row for instance ${id}`)
  return row
}

describe('the overview’s instances card', () => {
  it('lists each instance with its address, lanes, last seen and start, tagging this one', async () => {
    renderOverview(clusterStatus())
    const card = await screen.findByRole('region', { name: '实例' })
    expect(within(card).getAllByRole('row')).toHaveLength(4)

    const self = rowOf(SELF_INSTANCE_ID)
    expect(within(self).getByText(SELF_INSTANCE_ID)).toBeTruthy()
    expect(within(self).getByText('本实例')).toBeTruthy()
    expect(within(self).getByText('10.0.0.1:3000')).toBeTruthy()
    expect(within(self).getByRole('link', { name: '出口 #1' }).getAttribute('href')).toBe(
      '/egresses#egress-1',
    )
    expect(within(self).getByText('2分钟前')).toBeTruthy()

    const other = rowOf('sfp-b')
    expect(within(other).queryByText('本实例')).toBeNull()
    expect(within(other).getByText('未知')).toBeTruthy()
    const lanes = within(other).getAllByRole('link')
    expect(lanes.map((link) => [link.textContent, link.getAttribute('href')])).toEqual([
      ['tokyo proxy', '/egresses#egress-3'],
      ['出口 #4', '/egresses#egress-4'],
    ])
    expect(within(other).getByText('3分钟前')).toBeTruthy()
    const started = other.querySelector('time[datetime="2025-05-14T08:00:00.000Z"]')
    expect(started?.textContent).toMatch(/05\/14/)

    expect(within(rowOf('sfp-c')).getByText('无')).toBeTruthy()
    // Exactly one instance is this one.
    expect(within(card).getAllByText('本实例')).toHaveLength(1)
  })

  it('says it in English too', async () => {
    renderOverview(clusterStatus(), 'en')
    const card = await screen.findByRole('region', { name: 'Instances' })
    expect(within(card).getByRole('columnheader', { name: 'Lanes it drives' })).toBeTruthy()
    expect(within(rowOf(SELF_INSTANCE_ID)).getByText('This instance')).toBeTruthy()
    expect(within(rowOf('sfp-c')).getByText('None')).toBeTruthy()
  })

  it('is not shown for a single instance', async () => {
    renderOverview(statusView())
    await screen.findByRole('region', { name: '出口通道' })
    expect(screen.queryByRole('region', { name: '实例' })).toBeNull()
    expect(screen.queryByText('驱动实例')).toBeNull()
  })
})
