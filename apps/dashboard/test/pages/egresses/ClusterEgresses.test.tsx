import { screen, waitFor, within } from '@testing-library/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  laneStatuses,
  renderEgressesPage,
  rowOf,
  sampleEgresses,
} from '../../helpers/egresses-page.js'
import { json } from '../../helpers/fetch-mock.js'
import { instanceStatus, SELF_INSTANCE_ID, statusView } from '../../helpers/fixtures.js'

/** Cluster mode: this instance drives #1, instance sfp-b drives #2 and #3, nobody #4. */
function clusterStatus() {
  const drivers: Record<number, string | null> = { 1: SELF_INSTANCE_ID, 2: 'sfp-b', 3: 'sfp-b' }
  return statusView({
    mode: 'cluster',
    egresses: laneStatuses(sampleEgresses()).map((lane) => ({
      ...lane,
      drivenBy: drivers[lane.id] ?? null,
    })),
    instances: [
      instanceStatus(),
      instanceStatus({ id: 'sfp-b', address: null, lanes: [2, 3], self: false }),
    ],
  })
}

const onStatus = { 'GET /api/manage/status': () => json(clusterStatus()) }

describe('the Egress page in cluster mode', () => {
  afterEach(() => {
    ;(window as unknown as HappyDomWindow).happyDOM?.setViewport({ width: 1024, height: 768 })
    window.history.replaceState(null, '', '/')
    vi.restoreAllMocks()
  })

  it('says which instance drives each egress, and whose in-flight figures they are', async () => {
    await renderEgressesPage(onStatus)
    expect(await screen.findByRole('columnheader', { name: '驱动实例' })).toBeTruthy()

    const own = rowOf(1)
    expect(within(own).getByText(SELF_INSTANCE_ID)).toBeTruthy()
    expect(within(own).getByText('本实例')).toBeTruthy()
    expect(own.querySelector('.figures--elsewhere')).toBeNull()

    const elsewhere = rowOf(3)
    expect(within(elsewhere).getByText('sfp-b')).toBeTruthy()
    expect(within(elsewhere).queryByText('本实例')).toBeNull()
    expect(elsewhere.querySelector('.figures--elsewhere')?.getAttribute('title')).toBe(
      '这是实例 sfp-b 的数字：这条通道由它驱动，不是本实例。',
    )

    expect(within(rowOf(4)).getByText('无人驱动')).toBeTruthy()
  })

  it('says it on the phone cards too', async () => {
    ;(window as unknown as HappyDomWindow).happyDOM.setViewport({ width: 390, height: 844 })
    await renderEgressesPage(onStatus, { language: 'en' })
    const card = rowOf(2)
    expect(await within(card).findByText('Driven by')).toBeTruthy()
    expect(within(card).getByText('sfp-b')).toBeTruthy()
    expect(within(rowOf(1)).getByText('This instance')).toBeTruthy()
  })

  it('has no driver column for a single instance', async () => {
    await renderEgressesPage()
    await screen.findByRole('columnheader', { name: '当前密钥' })
    expect(screen.queryByRole('columnheader', { name: '驱动实例' })).toBeNull()
  })

  it('brings the egress an instance card linked to into view', async () => {
    const scrolled: Element[] = []
    vi.spyOn(Element.prototype, 'scrollIntoView').mockImplementation(function (this: Element) {
      scrolled.push(this)
    })
    window.history.replaceState(null, '', '/egresses#egress-3')
    await renderEgressesPage(onStatus)
    await waitFor(() => expect(scrolled).toEqual([rowOf(3)]))
  })
})

interface HappyDomWindow {
  happyDOM: { setViewport(viewport: { width: number; height: number }): void }
}
