import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { json } from '../../helpers/fetch-mock.js'
import {
  CURRENT_KEY as current,
  DISABLED_KEY as disabled,
  LOW_KEY as low,
  openKeyActions,
  renderKeysPage,
  requestsTo,
} from '../../helpers/keys-page.js'

describe('the actions of one key', () => {
  it('checks the balance only after a warning, then shows the answer', async () => {
    const { requests } = await renderKeysPage({
      'POST /api/manage/api-keys/2/check': () =>
        json({ ...low, status: 'active', balance: 8, balanceCheckedAt: new Date().toISOString() }),
    })
    const details = await openKeyActions(low)
    await userEvent.click(within(details).getByRole('button', { name: '检查余额' }))
    const confirm = screen.getByRole('dialog', { name: '检查 sk-bbbb…0002 的余额？' })
    expect(confirm.textContent).toContain('这会从本服务器的 IP 用这个密钥访问硅基流动')
    expect(confirm.textContent).toContain('在 wait 策略的切换保护期内会被拒绝')
    expect(requestsTo(requests, 'POST', '/api-keys/2/check')).toHaveLength(0)

    await userEvent.click(within(confirm).getByRole('button', { name: '检查余额' }))
    expect(await screen.findByText('sk-bbbb…0002：正常，余额 ¥8.00')).toBeTruthy()
    expect(requestsTo(requests, 'POST', '/api-keys/2/check')).toHaveLength(1)
    // The answer replaces the key everywhere: the dialog and the table row.
    expect(within(details).getByText('正常')).toBeTruthy()
    const row = screen.getByRole('button', { name: /^管理密钥 #2/ }).closest('tr')
    expect(row?.textContent).toContain('¥8.00')
  })

  it('cancelling the balance check sends nothing', async () => {
    const { requests } = await renderKeysPage()
    const details = await openKeyActions(low)
    await userEvent.click(within(details).getByRole('button', { name: '检查余额' }))
    const confirm = screen.getByRole('dialog', { name: '检查 sk-bbbb…0002 的余额？' })
    await userEvent.click(within(confirm).getByRole('button', { name: '取消' }))
    expect(screen.queryByRole('dialog', { name: '检查 sk-bbbb…0002 的余额？' })).toBeNull()
    expect(requests.filter((request) => request.method !== 'GET')).toEqual([])
  })

  it('disables an enabled key and enables a disabled one with PATCH {enabled}', async () => {
    const { requests } = await renderKeysPage({
      'PATCH /api/manage/api-keys/1': (request) =>
        json({
          ...current,
          status: (request.body as { enabled: boolean }).enabled ? 'active' : 'disabled',
        }),
      'PATCH /api/manage/api-keys/3': () => json({ ...disabled, status: 'active' }),
    })
    let details = await openKeyActions(current)
    await userEvent.click(within(details).getByRole('button', { name: '停用' }))
    expect(await screen.findByText('sk-aaaa…0001 已停用')).toBeTruthy()
    expect(requestsTo(requests, 'PATCH', '/api-keys/1').map((request) => request.body)).toEqual([
      { enabled: false },
    ])
    // The answer is shown at once: the same button now enables the key again.
    expect(within(details).getByRole('button', { name: '启用' })).toBeTruthy()
    await userEvent.click(within(details).getByRole('button', { name: '关闭' }))

    details = await openKeyActions(disabled)
    await userEvent.click(within(details).getByRole('button', { name: '启用' }))
    expect(await screen.findByText('sk-cccc…0003 已启用')).toBeTruthy()
    expect(requestsTo(requests, 'PATCH', '/api-keys/3').map((request) => request.body)).toEqual([
      { enabled: true },
    ])
  })

  it('disables with the reason given, which goes into the key event', async () => {
    const { requests } = await renderKeysPage({
      'PATCH /api/manage/api-keys/1': () => json({ ...current, status: 'disabled' }),
    })
    const details = await openKeyActions(current)
    await userEvent.type(
      within(details).getByLabelText('停用原因（可选，记入密钥事件）'),
      ' lent to the batch job ',
    )
    await userEvent.click(within(details).getByRole('button', { name: '停用' }))
    expect(await screen.findByText('sk-aaaa…0001 已停用')).toBeTruthy()
    expect(requestsTo(requests, 'PATCH', '/api-keys/1').map((request) => request.body)).toEqual([
      { enabled: false, reason: 'lent to the batch job' },
    ])
  })

  it('deletes one key after confirming, closes its dialog and reloads the list', async () => {
    const { requests } = await renderKeysPage({
      'DELETE /api/manage/api-keys/2': () => new Response(null, { status: 204 }),
    })
    const details = await openKeyActions(low)
    const listLoads = requestsTo(requests, 'GET', '/api-keys').length
    await userEvent.click(within(details).getByRole('button', { name: '删除' }))
    const confirm = screen.getByRole('dialog', { name: '删除 sk-bbbb…0002？' })
    expect(confirm.textContent).toContain('无法撤销')
    expect(requestsTo(requests, 'DELETE', '/api-keys/2')).toHaveLength(0)

    await userEvent.click(within(confirm).getByRole('button', { name: '删除' }))
    expect(await screen.findByText('sk-bbbb…0002 已删除')).toBeTruthy()
    expect(requestsTo(requests, 'DELETE', '/api-keys/2')).toHaveLength(1)
    expect(screen.queryByRole('dialog')).toBeNull()
    await waitFor(() => expect(requestsTo(requests, 'GET', '/api-keys').length).toBe(listLoads + 1))
  })

  it('saves a label with PATCH {label}, and an emptied label as null', async () => {
    const { requests } = await renderKeysPage({
      'PATCH /api/manage/api-keys/2': (request) =>
        json({ ...low, label: (request.body as { label: string | null }).label }),
    })
    const details = await openKeyActions(low)
    const input = within(details).getByLabelText('备注')
    const save = within(details).getByRole('button', { name: '保存' })
    // Nothing to save while the label is unchanged.
    expect(save).toHaveProperty('disabled', true)
    await userEvent.type(input, '  team A ')
    await userEvent.click(save)
    expect(await screen.findByText('备注已保存')).toBeTruthy()
    await userEvent.clear(input)
    await userEvent.click(save)
    await waitFor(() =>
      expect(requestsTo(requests, 'PATCH', '/api-keys/2').map((request) => request.body)).toEqual([
        { label: 'team A' },
        { label: null },
      ]),
    )
  })
})
