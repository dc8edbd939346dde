import { fireEvent, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { json } from '../../helpers/fetch-mock.js'
import { keyView, laneStatus, statusView } from '../../helpers/fixtures.js'
import {
  CURRENT_KEY,
  DISABLED_KEY,
  LOW_KEY,
  openKeyActions,
  renderKeysPage,
  requestsTo,
} from '../../helpers/keys-page.js'

function visibleKeys(): string[] {
  return [...document.querySelectorAll('tbody .key-row__key code')].map(
    (el) => el.textContent ?? '',
  )
}

describe('KeysPage', () => {
  it('lists keys with Chinese state labels and filters by state through the URL', async () => {
    await renderKeysPage()
    expect(visibleKeys()).toEqual(['sk-aaaa…0001', 'sk-bbbb…0002', 'sk-cccc…0003'])
    const table = screen.getByRole('table')
    expect(within(table).getByText('欠费')).toBeTruthy()
    expect(within(table).getByText('使用中')).toBeTruthy()

    await userEvent.click(screen.getByRole('button', { name: /欠费/ }))
    expect(window.location.search).toBe('?status=insufficient')
    expect(visibleKeys()).toEqual(['sk-bbbb…0002'])
    expect(screen.getByRole('button', { name: /欠费/ }).getAttribute('aria-pressed')).toBe('true')

    await userEvent.click(screen.getByRole('button', { name: /全部/ }))
    expect(visibleKeys()).toHaveLength(3)
  })

  it('says which limit a cooling key hit and when a daily one comes back', async () => {
    const cooling = keyView({
      id: 4,
      maskedKey: 'sk-dddd…0004',
      status: 'cooling',
      cooldownUntil: new Date(Date.now() + 3_600_000).toISOString(),
      rateLimitClass: 'day',
    })
    await renderKeysPage({
      'GET /api/manage/api-keys': () => json({ keys: [CURRENT_KEY, LOW_KEY, cooling], total: 3 }),
    })
    expect(screen.getByText(/触发每日限额（北京时间零点恢复）/)).toBeTruthy()
  })

  it('shows an estimated balance, marked as one, for a key with spend since its balance', async () => {
    const spending = keyView({
      id: 5,
      maskedKey: 'sk-eeee…0005',
      balance: 10,
      spent: 0.25,
      estimatedBalance: 9.75,
    })
    await renderKeysPage({
      'GET /api/manage/api-keys': () => json({ keys: [CURRENT_KEY, LOW_KEY, spending], total: 3 }),
    })
    expect(screen.getByText(/估算余额/).textContent).toContain('9.75')
  })

  it('starts filtered when the URL says so, and searches', async () => {
    await renderKeysPage({}, '/keys?status=disabled')
    expect(visibleKeys()).toEqual(['sk-cccc…0003'])
    await userEvent.click(screen.getByRole('button', { name: /全部/ }))
    fireEvent.change(screen.getByLabelText('搜索备注或密钥'), { target: { value: 'bbbb' } })
    await screen.findByText('显示 1 / 共 3 个')
    expect(visibleKeys()).toEqual(['sk-bbbb…0002'])
  })

  it('deletes the selected keys in bulk after confirming', async () => {
    const { requests } = await renderKeysPage({
      'POST /api/manage/api-keys/bulk': () => json({ affected: 2, notFound: [] }),
    })
    await userEvent.click(screen.getByLabelText('选择密钥 #2'))
    await userEvent.click(screen.getByLabelText('选择密钥 #3'))
    const bar = screen.getByRole('toolbar', { name: '批量操作' })
    expect(within(bar).getByText('已选择 2 个')).toBeTruthy()
    await userEvent.click(within(bar).getByRole('button', { name: '删除' }))
    const dialog = screen.getByRole('dialog', { name: '删除 2 个密钥？' })
    await userEvent.click(within(dialog).getByRole('button', { name: '删除' }))
    const bulk = requestsTo(requests, 'POST', '/api-keys/bulk')
    expect(bulk.map((request) => request.body)).toEqual([{ action: 'delete', ids: [2, 3] }])
    expect(await screen.findByText('删除：影响 2 个，未找到 0 个')).toBeTruthy()
  })

  it('asks before making a key current, with the configured guard and its time left', async () => {
    const guard = statusView().switchGuard
    const { requests } = await renderKeysPage({
      'GET /api/manage/status': () =>
        json(
          statusView({
            switchGuard: {
              ...guard,
              minutes: 45,
              lastUsedAt: new Date(Date.now() - 35 * 60_000).toISOString(),
              nextSwitchAllowedAt: new Date(Date.now() + 10 * 60_000).toISOString(),
            },
          }),
        ),
      'PUT /api/manage/api-keys/2/activate': () => json({ ...LOW_KEY, isCurrent: true }),
    })
    const details = await openKeyActions(LOW_KEY)
    await userEvent.click(within(details).getByRole('button', { name: '设为当前密钥' }))
    const confirm = screen.getByRole('dialog', { name: '把 sk-bbbb…0002 设为当前密钥？' })
    await within(confirm).findByText(
      '这会跳过 45 分钟切换保护，立即改用这个密钥，并记录这次手动切换。',
    )
    expect(confirm.textContent).toContain('切换保护剩余时间：')
    expect(within(confirm).getByRole('timer').textContent).toMatch(/^(10:00|09:5\d)$/)
    expect(requestsTo(requests, 'PUT', '/api-keys/2/activate')).toHaveLength(0)
    await userEvent.click(within(confirm).getByRole('button', { name: '设为当前密钥' }))
    expect(await screen.findByText('sk-bbbb…0002 已设为当前密钥')).toBeTruthy()
    expect(requestsTo(requests, 'PUT', '/api-keys/2/activate')).toHaveLength(1)

    // The opener is disabled now (the key is in use): focus goes on to the next action.
    expect(within(details).getByRole('button', { name: '设为当前密钥' })).toHaveProperty(
      'disabled',
      true,
    )
    expect(document.activeElement).toBe(within(details).getByRole('button', { name: '检查余额' }))
  })

  it('shows each key’s egress lane, by its label when the status names one', async () => {
    const onProxy = { ...LOW_KEY, egressId: 2 }
    await renderKeysPage({
      'GET /api/manage/status': () =>
        json(
          statusView({ egresses: [laneStatus({ id: 1 }), laneStatus({ id: 2, label: 'office' })] }),
        ),
      'GET /api/manage/api-keys': () =>
        json({ keys: [CURRENT_KEY, onProxy, { ...DISABLED_KEY, egressId: null }], total: 3 }),
    })
    const table = screen.getByRole('table')
    expect(within(table).getByRole('columnheader', { name: '出口' })).toBeTruthy()
    const laneCell = (id: number) =>
      screen
        .getByRole('button', { name: new RegExp(`^管理密钥 #${id}`) })
        .closest('tr')
        ?.querySelector('.key-row__egress')?.textContent
    expect(laneCell(1)).toBe('出口 #1')
    await waitFor(() => expect(laneCell(2)).toBe('office#2'))
    expect(laneCell(3)).toBe('—')

    const details = await openKeyActions(onProxy)
    expect(details.textContent).toContain('出口office #2')
  })
})
