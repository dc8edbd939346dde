import { screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { ClientKeysPage } from '../../../src/pages/client-keys/ClientKeysPage.js'
import { json, mockFetch } from '../../helpers/fetch-mock.js'
import { renderSignedIn } from '../../helpers/render.js'

const EXISTING = {
  id: 1,
  name: 'laptop',
  prefix: 'sk-sfp-ab12…cd34',
  createdAt: '2025-05-01T00:00:00.000Z',
  lastUsedAt: null,
  requestCount: 42,
}

describe('ClientKeysPage', () => {
  it('shows a new key’s plaintext once, with a warning and a copy button', async () => {
    const { requests } = mockFetch({
      'GET /api/manage/client-keys': () => json({ keys: [EXISTING], envKeyCount: 1 }),
      'POST /api/manage/client-keys': () =>
        json({ key: { ...EXISTING, id: 2, name: 'ci' }, plaintext: 'sk-sfp-THE-ONLY-TIME' }, 201),
    })
    renderSignedIn(<ClientKeysPage />)
    expect(await screen.findByText('laptop')).toBeTruthy()
    // The server's masked form, as it is.
    expect(screen.getByText('sk-sfp-ab12…cd34').tagName).toBe('CODE')
    expect(
      screen.getByText('另有 1 个来自环境变量 PROXY_API_KEYS 的密钥（不在此列出）。'),
    ).toBeTruthy()

    await userEvent.type(screen.getByLabelText('名称'), 'ci')
    await userEvent.click(screen.getByRole('button', { name: '创建' }))
    expect(requests.find((r) => r.method === 'POST')?.body).toEqual({ name: 'ci' })
    const secret = (await screen.findByLabelText('新的客户端密钥')) as HTMLInputElement
    expect(secret.value).toBe('sk-sfp-THE-ONLY-TIME')
    expect(screen.getByText(/这是唯一一次显示完整密钥/)).toBeTruthy()
    expect(screen.getByRole('button', { name: '复制新的客户端密钥' })).toBeTruthy()

    await userEvent.click(screen.getByRole('button', { name: '我已保存，关闭' }))
    expect(screen.queryByDisplayValue('sk-sfp-THE-ONLY-TIME')).toBeNull()
  })

  it('revokes a key after confirming', async () => {
    const { requests } = mockFetch({
      'GET /api/manage/client-keys': () => json({ keys: [EXISTING], envKeyCount: 0 }),
      'DELETE /api/manage/client-keys/1': () => new Response(null, { status: 204 }),
    })
    renderSignedIn(<ClientKeysPage />)
    await userEvent.click(await screen.findByRole('button', { name: '吊销客户端密钥“laptop”' }))
    const dialog = screen.getByRole('dialog', { name: '吊销“laptop”？' })
    await userEvent.click(within(dialog).getByRole('button', { name: '吊销' }))
    expect(requests.some((r) => r.method === 'DELETE')).toBe(true)
    expect(await screen.findByText('已吊销“laptop”')).toBeTruthy()
  })
})
