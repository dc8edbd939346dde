import { act, fireEvent, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it, vi } from 'vitest'
import { basicAuthorization } from '../../src/api/credentials.js'
import { SignInForm } from '../../src/auth/SignInForm.js'
import { apiError, json, mockFetch } from '../helpers/fetch-mock.js'
import { statusView } from '../helpers/fixtures.js'
import { renderWithI18n } from '../helpers/render.js'

describe('SignInForm', () => {
  it('verifies the password against /status and hands over the Authorization value', async () => {
    const { requests } = mockFetch({ 'GET /api/manage/status': () => json(statusView()) })
    const onSignedIn = vi.fn()
    renderWithI18n(<SignInForm onSignedIn={onSignedIn} />)
    await userEvent.type(screen.getByLabelText('管理员密码'), 'right password')
    await userEvent.click(screen.getByRole('button', { name: '登录' }))
    expect(onSignedIn).toHaveBeenCalledWith(basicAuthorization('admin', 'right password'))
    expect(requests[0]?.headers.get('x-sfp-client')).toBe('dashboard')
  })

  it('falls back to /config on a server without /status', async () => {
    mockFetch({ 'GET /api/manage/config': () => json({ settings: [] }) })
    const onSignedIn = vi.fn()
    renderWithI18n(<SignInForm onSignedIn={onSignedIn} />)
    await userEvent.type(screen.getByLabelText('管理员密码'), 'pw')
    await userEvent.click(screen.getByRole('button', { name: '登录' }))
    expect(onSignedIn).toHaveBeenCalledOnce()
  })

  it('says the password is wrong on a 401 and stays on the form', async () => {
    mockFetch({ 'GET /api/manage/status': () => apiError(401, 'unauthorized', 'wrong') })
    const onSignedIn = vi.fn()
    renderWithI18n(<SignInForm onSignedIn={onSignedIn} />)
    await userEvent.type(screen.getByLabelText('管理员密码'), 'nope')
    await userEvent.click(screen.getByRole('button', { name: '登录' }))
    expect(await screen.findByText('用户名或密码错误。')).toBeTruthy()
    expect(onSignedIn).not.toHaveBeenCalled()
  })

  it('shows the 429 lockout with a countdown from Retry-After and blocks retries until then', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true })
    mockFetch({
      'GET /api/manage/status': () =>
        apiError(429, 'too_many_failed_logins', 'too many', { 'retry-after': '3' }),
    })
    renderWithI18n(<SignInForm onSignedIn={() => undefined} />, 'en')
    fireEvent.change(screen.getByLabelText('Admin password'), { target: { value: 'guess' } })
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }))
    expect(await screen.findByText('Too many failed sign-ins. Try again in 3 s.')).toBeTruthy()
    const submit = screen.getByRole('button', { name: 'Sign in' }) as HTMLButtonElement
    expect(submit.disabled).toBe(true)
    await act(async () => {
      await vi.advanceTimersByTimeAsync(1000)
    })
    expect(screen.getByText('Too many failed sign-ins. Try again in 2 s.')).toBeTruthy()
    await act(async () => {
      await vi.advanceTimersByTimeAsync(2500)
    })
    expect(submit.disabled).toBe(false)
  })

  it('explains a network failure', async () => {
    vi.stubGlobal('fetch', () => Promise.reject(new TypeError('Failed to fetch')))
    renderWithI18n(<SignInForm onSignedIn={() => undefined} />)
    await userEvent.type(screen.getByLabelText('管理员密码'), 'pw')
    await userEvent.click(screen.getByRole('button', { name: '登录' }))
    expect((await screen.findByRole('alert')).textContent).toContain('无法连接服务器')
  })
})
