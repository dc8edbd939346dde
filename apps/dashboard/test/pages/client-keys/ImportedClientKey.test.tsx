import { screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { ClientKeysPage } from '../../../src/pages/client-keys/ClientKeysPage.js'
import { json, mockFetch } from '../../helpers/fetch-mock.js'
import { renderSignedIn } from '../../helpers/render.js'

const MADE_HERE = {
  id: 1,
  name: 'laptop',
  prefix: 'sk-sfp-ab12…cd34',
  createdAt: '2025-05-01T00:00:00.000Z',
  lastUsedAt: null,
  requestCount: 42,
  origin: null,
}
const IMPORTED = {
  ...MADE_HERE,
  id: 2,
  name: 'siliconflowProxy',
  prefix: 'ADMIN_PASSWORD',
  origin: 'siliconflowProxy',
}

describe('ClientKeysPage: the key imported from siliconflowProxy', () => {
  it('is marked, and replacing it is suggested (zh)', async () => {
    mockFetch({
      'GET /api/manage/client-keys': () => json({ keys: [MADE_HERE, IMPORTED], envKeyCount: 0 }),
    })
    renderSignedIn(<ClientKeysPage />)
    expect(await screen.findByText('从 siliconflowProxy 导入')).toBeTruthy()
    // Only the imported key carries the mark.
    expect(screen.getAllByText('从 siliconflowProxy 导入')).toHaveLength(1)
    expect(
      screen.getByText(
        /“siliconflowProxy”是旧 siliconflowProxy 的 ADMIN_PASSWORD.*请创建新的客户端密钥/,
      ),
    ).toBeTruthy()
  })

  it('is marked in English too', async () => {
    mockFetch({
      'GET /api/manage/client-keys': () => json({ keys: [IMPORTED], envKeyCount: 0 }),
    })
    renderSignedIn(<ClientKeysPage />, { language: 'en' })
    expect(await screen.findByText('From siliconflowProxy')).toBeTruthy()
    expect(screen.getByText(/create a new client key, switch your clients to it/)).toBeTruthy()
  })

  it('shows no mark or hint without an imported key', async () => {
    mockFetch({
      'GET /api/manage/client-keys': () => json({ keys: [MADE_HERE], envKeyCount: 0 }),
    })
    renderSignedIn(<ClientKeysPage />, { language: 'en' })
    expect(await screen.findByText('laptop')).toBeTruthy()
    expect(screen.queryByText('From siliconflowProxy')).toBeNull()
  })
})
