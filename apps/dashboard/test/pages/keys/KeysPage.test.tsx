import { fireEvent, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { KeysPage } from '../../../src/pages/keys/KeysPage.js'
import { navigate } from '../../../src/router/history-router.js'
import { json, mockFetch } from '../../helpers/fetch-mock.js'
import { keyView, statusView } from '../../helpers/fixtures.js'
import { renderSignedIn } from '../../helpers/render.js'

const KEYS = [
  keyView({ id: 1, status: 'active', maskedKey: 'sk-aaaa…0001', isCurrent: true }),
  keyView({ id: 2, status: 'insufficient', maskedKey: 'sk-bbbb…0002', balance: 0.2 }),
  keyView({ id: 3, status: 'disabled', maskedKey: 'sk-cccc…0003' }),
]

function routes(extra = {}) {
  return mockFetch({
    'GET /api/manage/api-keys': () => json({ keys: KEYS, total: KEYS.length }),
    'GET /api/manage/status': () => json(statusView()),
    ...extra,
  })
}

function visibleKeys(): string[] {
  return [...document.querySelectorAll('tbody .key-row__key code')].map(
    (el) => el.textContent ?? '',
  )
}

describe('KeysPage', () => {
  beforeEach(() => {
    // happy-dom lays nothing out; the virtualizer needs a viewport to decide which rows exist.
    vi.spyOn(HTMLElement.prototype, 'clientHeight', 'get').mockReturnValue(600)
    vi.spyOn(HTMLElement.prototype, 'clientWidth', 'get').mockReturnValue(1200)
  })

  it('lists keys with Chinese state labels and filters by state through the URL', async () => {
    routes()
    navigate('/keys')
    renderSignedIn(<KeysPage />, { live: true })
    await screen.findByText('sk-aaaa…0001')
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

  it('starts filtered when the URL says so, and searches', async () => {
    routes()
    navigate('/keys?status=disabled')
    renderSignedIn(<KeysPage />, { live: true })
    await screen.findByText('sk-cccc…0003')
    expect(visibleKeys()).toEqual(['sk-cccc…0003'])
    await userEvent.click(screen.getByRole('button', { name: /全部/ }))
    fireEvent.change(screen.getByLabelText('搜索备注或密钥'), { target: { value: 'bbbb' } })
    await screen.findByText('显示 1 / 共 3 个')
    expect(visibleKeys()).toEqual(['sk-bbbb…0002'])
  })

  it('deletes the selected keys in bulk after confirming', async () => {
    const { requests } = routes({
      'POST /api/manage/api-keys/bulk': () => json({ affected: 2, notFound: [] }),
    })
    navigate('/keys')
    renderSignedIn(<KeysPage />, { live: true })
    await userEvent.click(await screen.findByLabelText('选择密钥 #2'))
    await userEvent.click(screen.getByLabelText('选择密钥 #3'))
    const bar = screen.getByRole('toolbar', { name: '批量操作' })
    expect(within(bar).getByText('已选择 2 个')).toBeTruthy()
    await userEvent.click(within(bar).getByRole('button', { name: '删除' }))
    const dialog = screen.getByRole('dialog', { name: '删除 2 个密钥？' })
    await userEvent.click(within(dialog).getByRole('button', { name: '删除' }))
    const bulk = requests.find((request) => request.url.pathname.endsWith('/bulk'))
    expect(bulk?.body).toEqual({ action: 'delete', ids: [2, 3] })
    expect(await screen.findByText('删除：影响 2 个，未找到 0 个')).toBeTruthy()
  })

  it('asks before making a key current, warning about the switch guard', async () => {
    const { requests } = routes({
      'PUT /api/manage/api-keys/2/activate': () => json({ ...KEYS[1], isCurrent: true }),
    })
    navigate('/keys')
    renderSignedIn(<KeysPage />, { live: true })
    await userEvent.click(
      await screen.findByRole('button', { name: '管理密钥 #2（sk-bbbb…0002）' }),
    )
    await userEvent.click(screen.getByRole('button', { name: '设为当前密钥' }))
    const confirm = screen.getByRole('dialog', { name: '把 sk-bbbb…0002 设为当前密钥？' })
    expect(confirm.textContent).toContain('30 分钟切换保护')
    expect(requests.some((request) => request.method === 'PUT')).toBe(false)
    await userEvent.click(within(confirm).getByRole('button', { name: '设为当前密钥' }))
    expect(await screen.findByText('sk-bbbb…0002 已设为当前密钥')).toBeTruthy()
    expect(requests.some((request) => request.url.pathname.endsWith('/2/activate'))).toBe(true)
  })
})
