import type { LegacyImportSummary } from '@sfp/schemas'
import { screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { ImportNotice } from '../../../src/pages/overview/ImportNotice.js'
import { json, mockFetch } from '../../helpers/fetch-mock.js'
import { renderSignedIn } from '../../helpers/render.js'

const SUMMARY: LegacyImportSummary = {
  via: 'boot',
  importedAt: '2026-01-10T12:00:00.000Z',
  keys: {
    found: 7,
    imported: 5,
    byStatus: { active: 1, insufficient: 1, error: 1, disabled: 2 },
    duplicates: 0,
  },
  egresses: { found: 4, imported: 2, enabled: 1 },
  directBlock: { until: '2026-01-10T14:00:00.000Z', reason: 'siliconflowProxy IP block' },
  expiredBlocks: 1,
  clientKey: { id: 1, name: 'siliconflowProxy' },
  notes: [
    {
      table: 'api_keys',
      rowId: 5,
      item: '…',
      code: 'invalid_key',
      reason: 'too short (at least 8 characters)',
      imported: false,
    },
  ],
  notesNotListed: 0,
  notImported: ['api_usage', 'proxy_state'],
}

describe('ImportNotice', () => {
  it('shows what the siliconflowProxy import brought over, in Chinese, until dismissed', async () => {
    const { requests } = mockFetch({
      'GET /api/manage/import': () => json({ summary: SUMMARY, dismissed: false }),
      'POST /api/manage/import/dismiss': () => new Response(null, { status: 204 }),
    })
    renderSignedIn(<ImportNotice />)
    expect(await screen.findByText('已从 siliconflowProxy 导入数据')).toBeTruthy()
    expect(screen.getByText(/密钥：导入 5 个（正常 1、欠费 1、错误 1、已停用 2）/)).toBeTruthy()
    expect(screen.getByText('代理：导入为出口 2 个，其中 1 个已启用。')).toBeTruthy()
    expect(screen.getByText(/直连出口暂停使用/)).toBeTruthy()
    expect(screen.getByText(/旧的 ADMIN_PASSWORD 已成为客户端密钥“siliconflowProxy”/)).toBeTruthy()
    expect(screen.getByText(/未导入：请求记录（api_usage）/)).toBeTruthy()
    expect(screen.getByText(/不符合密钥规则/)).toBeTruthy()

    await userEvent.click(screen.getByRole('button', { name: '知道了，不再显示' }))
    expect(
      requests.some((r) => r.method === 'POST' && r.url.pathname === '/api/manage/import/dismiss'),
    ).toBe(true)
    expect(screen.queryByText('已从 siliconflowProxy 导入数据')).toBeNull()
  })

  it('shows it in English too', async () => {
    mockFetch({ 'GET /api/manage/import': () => json({ summary: SUMMARY, dismissed: false }) })
    renderSignedIn(<ImportNotice />, { language: 'en' })
    expect(await screen.findByText('Data imported from siliconflowProxy')).toBeTruthy()
    expect(screen.getByText('Proxies: 2 imported as egresses, 1 enabled.')).toBeTruthy()
  })

  it('shows nothing once dismissed, or when there was no import', async () => {
    for (const answer of [
      { summary: SUMMARY, dismissed: true },
      { summary: null, dismissed: false },
    ]) {
      const { requests } = mockFetch({ 'GET /api/manage/import': () => json(answer) })
      const { container, unmount } = renderSignedIn(<ImportNotice />)
      await expect.poll(() => requests.length).toBe(1)
      await new Promise((resolve) => setTimeout(resolve, 0))
      expect(container.textContent).toBe('')
      unmount()
    }
  })
})
