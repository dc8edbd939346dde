import { screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { apiError, json } from '../../helpers/fetch-mock.js'
import { keyView } from '../../helpers/fixtures.js'
import {
  CURRENT_KEY,
  LOW_KEY,
  openKeyActions,
  renderKeysPage,
  requestsTo,
} from '../../helpers/keys-page.js'

describe('KeyDetailDialog', () => {
  it('lists the models upstream refused the key', async () => {
    const refused = keyView({
      id: 5,
      maskedKey: 'sk-eeee…0005',
      blockedModels: ['Pro/deepseek-ai/DeepSeek-R1', 'Pro/Qwen/Qwen2.5-72B-Instruct'],
    })
    await renderKeysPage({
      'GET /api/manage/api-keys': () => json({ keys: [CURRENT_KEY, LOW_KEY, refused], total: 3 }),
    })
    const details = await openKeyActions(refused)
    expect(details.textContent).toContain('不可用的模型（上游拒绝此密钥使用）')
    const codes = [...details.querySelectorAll('dd code')].map((code) => code.textContent)
    expect(codes).toEqual(['Pro/deepseek-ai/DeepSeek-R1', 'Pro/Qwen/Qwen2.5-72B-Instruct'])
  })

  it('shows no row of refused models for a key without any', async () => {
    await renderKeysPage()
    const details = await openKeyActions(CURRENT_KEY)
    expect(details.textContent).not.toContain('不可用的模型')
  })

  it('enters a balance read in the console, refusing what is not a plain amount', async () => {
    const { requests } = await renderKeysPage({
      'PATCH /api/manage/api-keys/1': () =>
        json({ ...CURRENT_KEY, balance: 20, spent: null, estimatedBalance: 20 }),
    })
    const details = await openKeyActions(CURRENT_KEY)
    const input = within(details).getByLabelText('录入余额（元）')
    const save = within(details).getByRole('button', { name: '保存余额' })
    await userEvent.type(input, '1e3')
    expect(save?.hasAttribute('disabled')).toBe(true)
    await userEvent.clear(input)
    await userEvent.type(input, '20')
    if (save) await userEvent.click(save)
    const patches = requestsTo(requests, 'PATCH', '/api-keys/1')
    expect(patches.map((request) => request.body)).toEqual([{ balance: 20 }])
  })

  it('saves a label trimmed, a blank one as none, and shows a refusal where it was asked', async () => {
    let refuse = false
    const { requests } = await renderKeysPage({
      'PATCH /api/manage/api-keys/1': (request) => {
        if (refuse) return apiError(400, 'invalid_request', 'label: too long')
        const { label } = request.body as { label: string | null }
        return json({ ...CURRENT_KEY, label })
      },
    })
    const details = await openKeyActions(CURRENT_KEY)
    const input = within(details).getByLabelText('备注')
    const save = within(details).getByRole('button', { name: '保存' })
    await userEvent.clear(input)
    await userEvent.type(input, '  主力  ')
    await userEvent.click(save)
    expect(await screen.findByText('备注已保存')).toBeTruthy()
    await userEvent.clear(input)
    await userEvent.click(save)
    refuse = true
    await userEvent.type(input, 'x')
    await userEvent.click(save)
    expect((await within(details).findByRole('alert')).textContent).toContain('label: too long')
    expect(save.hasAttribute('disabled')).toBe(false)
    const patches = requestsTo(requests, 'PATCH', '/api-keys/1')
    expect(patches.map((request) => request.body)).toEqual([
      { label: '主力' },
      { label: null },
      { label: 'x' },
    ])
  })
})
