import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { json } from '../../helpers/fetch-mock.js'
import { renderKeysPage, requestsTo } from '../../helpers/keys-page.js'

async function selectKeys(...ids: number[]): Promise<HTMLElement> {
  for (const id of ids) await userEvent.click(screen.getByLabelText(`选择密钥 #${id}`))
  return screen.getByRole('toolbar', { name: '批量操作' })
}

function bulkBodies(requests: Parameters<typeof requestsTo>[0]) {
  return requestsTo(requests, 'POST', '/api-keys/bulk').map((request) => request.body)
}

describe('bulk actions on the selected keys', () => {
  it('checks balances only after a warning naming how many keys go upstream', async () => {
    const { requests } = await renderKeysPage({
      'POST /api/manage/api-keys/bulk': () => json({ affected: 2, notFound: [] }),
    })
    const bar = await selectKeys(1, 2)
    await userEvent.click(within(bar).getByRole('button', { name: '检查余额' }))
    const confirm = screen.getByRole('dialog', { name: '检查 2 个密钥的余额？' })
    expect(confirm.textContent).toContain('依次用这 2 个密钥访问硅基流动')
    expect(bulkBodies(requests)).toEqual([])

    await userEvent.click(within(confirm).getByRole('button', { name: '检查余额' }))
    expect(await screen.findByText('检查余额：影响 2 个，未找到 0 个')).toBeTruthy()
    expect(bulkBodies(requests)).toEqual([{ action: 'check', ids: [1, 2] }])
  })

  it('enables and disables at once, keeps the selection and reloads the list', async () => {
    const { requests } = await renderKeysPage({
      'POST /api/manage/api-keys/bulk': (request) =>
        json({ affected: (request.body as { ids: number[] }).ids.length, notFound: [4] }),
    })
    const listLoads = () => requestsTo(requests, 'GET', '/api-keys').length
    const before = listLoads()
    const bar = await selectKeys(2, 3)
    await userEvent.click(within(bar).getByRole('button', { name: '停用' }))
    expect(await screen.findByText('停用：影响 2 个，未找到 1 个')).toBeTruthy()
    await userEvent.click(within(bar).getByRole('button', { name: '启用' }))
    expect(await screen.findByText('启用：影响 2 个，未找到 1 个')).toBeTruthy()

    expect(bulkBodies(requests)).toEqual([
      { action: 'disable', ids: [2, 3] },
      { action: 'enable', ids: [2, 3] },
    ])
    expect(within(bar).getByText('已选择 2 个')).toBeTruthy()
    await waitFor(() => expect(listLoads()).toBe(before + 2))
  })
})
