import { fireEvent, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { LogsPage } from '../../../src/pages/logs/LogsPage.js'
import { navigate } from '../../../src/router/history-router.js'
import { json, mockFetch } from '../../helpers/fetch-mock.js'
import { keyView, logEntry, statusView } from '../../helpers/fixtures.js'
import { renderSignedIn } from '../../helpers/render.js'

function routes() {
  return mockFetch({
    'GET /api/manage/api-keys': () => json({ keys: [keyView()], total: 1 }),
    'GET /api/manage/status': () => json(statusView()),
    'GET /api/manage/logs': ({ url }) =>
      url.searchParams.get('cursor') === null
        ? json({ items: [logEntry({ id: 2 }), logEntry({ id: 1, status: 503 })], nextCursor: '1' })
        : json({ items: [logEntry({ id: 0, model: 'older-model' })], nextCursor: null }),
  })
}

describe('LogsPage', () => {
  it('applies filters to the query and the URL, and pages with the cursor', async () => {
    const { requests } = routes()
    navigate('/logs')
    renderSignedIn(<LogsPage />, { live: true })
    expect(await screen.findAllByText('Qwen/Qwen2.5-7B-Instruct')).toHaveLength(2)

    fireEvent.change(screen.getByLabelText('状态码'), { target: { value: '5xx' } })
    fireEvent.change(screen.getByLabelText('模型'), {
      target: { value: 'Qwen/Qwen2.5-7B-Instruct' },
    })
    fireEvent.change(screen.getByLabelText('上游密钥 ID'), { target: { value: '1' } })
    await userEvent.click(screen.getByRole('button', { name: '应用筛选' }))
    expect(window.location.search).toBe('?keyId=1&status=5xx&model=Qwen%2FQwen2.5-7B-Instruct')
    await screen.findByText('已显示 2 条')
    const filtered = requests.filter((r) => r.url.pathname === '/api/manage/logs').at(-1)
    expect(Object.fromEntries(filtered?.url.searchParams ?? [])).toEqual({
      limit: '50',
      keyId: '1',
      status: '5xx',
      model: 'Qwen/Qwen2.5-7B-Instruct',
    })

    await userEvent.click(screen.getByRole('button', { name: '加载更多' }))
    expect(await screen.findByText('older-model')).toBeTruthy()
    expect(screen.getByText('没有更多记录了。')).toBeTruthy()
    const more = requests.filter((r) => r.url.pathname === '/api/manage/logs').at(-1)
    expect(more?.url.searchParams.get('cursor')).toBe('1')
    expect(more?.url.searchParams.get('status')).toBe('5xx')
  })

  it('refuses an invalid status filter with a message instead of querying', async () => {
    const { requests } = routes()
    navigate('/logs')
    renderSignedIn(<LogsPage />, { live: true })
    await screen.findByText('已显示 2 条')
    const before = requests.length
    fireEvent.change(screen.getByLabelText('状态码'), { target: { value: '700' } })
    await userEvent.click(screen.getByRole('button', { name: '应用筛选' }))
    expect(screen.getByText('状态码应为三位数字，或 2xx、3xx、4xx、5xx、error。')).toBeTruthy()
    expect(screen.getByLabelText('状态码').getAttribute('aria-invalid')).toBe('true')
    expect(requests.slice(before).some((r) => r.url.pathname === '/api/manage/logs')).toBe(false)
  })

  it('shows every field of a request in the detail dialog', async () => {
    routes()
    navigate('/logs')
    renderSignedIn(<LogsPage />, { live: true })
    const [first] = await screen.findAllByRole('button', { name: /查看 .* 的请求详情/ })
    if (!first) throw new Error('no row')
    await userEvent.click(first)
    const dialog = screen.getByRole('dialog', { name: '请求详情' })
    for (const label of [
      '请求 ID（x-request-id）',
      '尝试次数',
      '首字节时间',
      '输出 Token',
      '错误信息',
    ]) {
      expect(within(dialog).getByText(label)).toBeTruthy()
    }
    expect(within(dialog).getByText('req-1')).toBeTruthy()
  })
})
