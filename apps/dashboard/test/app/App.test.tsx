import { render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { basicAuthorization, saveAuthorization } from '../../src/api/credentials.js'
import { App } from '../../src/app/App.js'
import { navigate } from '../../src/router/history-router.js'
import { apiError, json, mockFetch } from '../helpers/fetch-mock.js'
import { egressView, keyView, settingView, statusView } from '../helpers/fixtures.js'
import { statusStream } from '../helpers/sse.js'

const CURRENT = keyView({ id: 7, maskedKey: 'sk-curr…ent7', isCurrent: true, balance: 3.5 })
const LIVE = statusView({
  dispatch: { concurrency: 1, inFlight: 1, queued: 4, queueMax: 100, oldestWaitMs: 2500 },
  switchGuard: { ...statusView().switchGuard, currentKeyId: 7 },
  pool: { ...statusView().pool, currentKeyId: 7, total: 1 },
})

function server(overrides = {}) {
  return mockFetch({
    'GET /api/manage/status': () => json(statusView()),
    'GET /api/manage/events': () => statusStream([LIVE]),
    'GET /api/manage/api-keys': () => json({ keys: [CURRENT], total: 1 }),
    'GET /api/manage/stats': () =>
      json({
        from: new Date(Date.now() - 86_400_000).toISOString(),
        to: new Date().toISOString(),
        bucketSeconds: 300,
        buckets: [],
      }),
    'GET /api/manage/key-events': () => json({ events: [] }),
    ...overrides,
  })
}

describe('App', () => {
  it('signs in with the form, shows the live overview, and signs out', async () => {
    server()
    render(<App />)
    expect(screen.getByRole('heading', { name: '登录管理面板' })).toBeTruthy()
    await userEvent.type(screen.getByLabelText('管理员密码'), 'secret')
    await userEvent.click(screen.getByRole('button', { name: '登录' }))

    expect(await screen.findByRole('heading', { name: '概览' })).toBeTruthy()
    expect(sessionStorage.getItem('sfp.authorization')).toBe(basicAuthorization('admin', 'secret'))
    // Values only the streamed status has: the page follows /events.
    const queue = await screen.findByRole('region', { name: '调度队列' })
    expect(await within(queue).findByText('4 / 100')).toBeTruthy()
    expect(within(queue).getByText('2.5秒')).toBeTruthy()
    const current = screen.getByRole('region', { name: '当前密钥' })
    expect(await within(current).findByText('sk-curr…ent7')).toBeTruthy()
    expect(screen.getByText('实时')).toBeTruthy()
    // The egress lanes, from the same status.
    const lanes = screen.getByRole('region', { name: '出口通道' })
    expect(within(lanes).getByText('出口 #1')).toBeTruthy()

    await userEvent.click(screen.getByRole('button', { name: '退出登录' }))
    expect(screen.getByRole('heading', { name: '登录管理面板' })).toBeTruthy()
    expect(sessionStorage.getItem('sfp.authorization')).toBeNull()
  })

  it('goes back to sign-in when any call answers 401', async () => {
    saveAuthorization(basicAuthorization('admin', 'old password'))
    server({ 'GET /api/manage/key-events': () => apiError(401, 'unauthorized', 'changed') })
    render(<App />)
    expect(await screen.findByText('登录已失效（密码可能已更改），请重新登录。')).toBeTruthy()
    expect(sessionStorage.getItem('sfp.authorization')).toBeNull()
  })

  it('routes by path with the History API, marking the current page', async () => {
    saveAuthorization(basicAuthorization('admin', 'secret'))
    server({
      'GET /api/manage/config': () => json({ settings: [settingView()] }),
    })
    render(<App />)
    const nav = screen.getByRole('navigation', { name: '主导航' })
    expect(
      within(nav)
        .getAllByRole('link')
        .map((link) => link.textContent),
    ).toEqual(['概览', '密钥', '出口', '请求日志', '客户端密钥', '通知', '设置'])
    await userEvent.click(within(nav).getByRole('link', { name: '设置' }))
    expect(window.location.pathname).toBe('/settings')
    expect(await screen.findByRole('heading', { name: '设置', level: 1 })).toBeTruthy()
    expect(within(nav).getByRole('link', { name: '设置' }).getAttribute('aria-current')).toBe(
      'page',
    )
    expect(await screen.findByText('监听端口')).toBeTruthy()
    expect(screen.getByText(`${window.location.origin}/v1`)).toBeTruthy()

    navigate('/nowhere')
    expect(await screen.findByRole('heading', { name: '页面不存在' })).toBeTruthy()
    window.history.back()
    expect(await screen.findByRole('heading', { name: '设置', level: 1 })).toBeTruthy()
  })

  it('opens the Egress page (loaded on first visit) from the navigation', async () => {
    saveAuthorization(basicAuthorization('admin', 'secret'))
    server({
      'GET /api/manage/egresses': () =>
        json({ egresses: [egressView({ id: 1, currentKeyId: 7 })] }),
    })
    render(<App />)
    const nav = screen.getByRole('navigation', { name: '主导航' })
    await userEvent.click(within(nav).getByRole('link', { name: '出口' }))
    expect(window.location.pathname).toBe('/egresses')
    expect(await screen.findByRole('heading', { name: '出口', level: 1 })).toBeTruthy()
    expect(document.title).toBe('出口 · SiliconFlow Proxy')
    const list = screen.getByRole('region', { name: '出口列表' })
    expect(await within(list).findByText('sk-curr…ent7')).toBeTruthy()
  })
})
