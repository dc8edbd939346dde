import { screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { basicAuthorization, loadAuthorization } from '../../../src/api/credentials.js'
import { AdminPasswordCard } from '../../../src/pages/settings/AdminPasswordCard.js'
import { apiError, json, mockFetch } from '../../helpers/fetch-mock.js'
import { renderSignedIn } from '../../helpers/render.js'

const URL = '/api/manage/admin-password'

async function fillAndSubmit(current: string, next: string, repeat = next) {
  const card = await screen.findByRole('region', { name: '管理员密码' })
  // The card is there before its form: the form waits for GET /admin-password (env or not).
  await within(card).findByLabelText('当前密码')
  const field = (label: string) => within(card).getByLabelText(label)
  await userEvent.clear(field('当前密码'))
  await userEvent.type(field('当前密码'), current)
  await userEvent.clear(field('新密码'))
  await userEvent.type(field('新密码'), next)
  await userEvent.clear(field('再次输入新密码'))
  await userEvent.type(field('再次输入新密码'), repeat)
  await userEvent.click(within(card).getByRole('button', { name: '修改密码' }))
  return card
}

describe('AdminPasswordCard', () => {
  it('changes the password and keeps the session going with the new one', async () => {
    const { requests } = mockFetch({
      [`GET ${URL}`]: () => json({ managedByEnv: false }),
      [`PUT ${URL}`]: () => new Response(null, { status: 204 }),
    })
    renderSignedIn(<AdminPasswordCard />)
    const card = await fillAndSubmit('secret', 'brand-new-password')
    expect(await screen.findByText('管理员密码已修改，其他浏览器需要用新密码重新登录')).toBeTruthy()

    const put = requests.find((request) => request.method === 'PUT')
    expect(put?.body).toEqual({ currentPassword: 'secret', newPassword: 'brand-new-password' })
    expect(put?.headers.get('authorization')).toBe(basicAuthorization('admin', 'secret'))
    // Stored for reloads, and used by the calls that follow.
    const fresh = basicAuthorization('admin', 'brand-new-password')
    expect(loadAuthorization()).toBe(fresh)
    const gets = () => requests.filter((request) => request.method === 'GET')
    await screen.findByRole('region', { name: '管理员密码' })
    await expect.poll(() => gets().at(-1)?.headers.get('authorization')).toBe(fresh)
    expect((within(card).getByLabelText('当前密码') as HTMLInputElement).value).toBe('')
  })

  it.each([
    ['too short', 'secret', 'short', 'short', '新密码至少需要 8 个字符。'],
    [
      'not repeated alike',
      'secret',
      'brand-new-password',
      'brand-new-passw0rd',
      '两次输入的新密码不一致。',
    ],
    [
      'the current one again',
      'same-password',
      'same-password',
      'same-password',
      '新密码不能与当前密码相同。',
    ],
  ])(
    'says in Chinese when the new password is %s, and sends nothing',
    async (_, current, next, repeat, message) => {
      const { requests } = mockFetch({ [`GET ${URL}`]: () => json({ managedByEnv: false }) })
      renderSignedIn(<AdminPasswordCard />)
      await fillAndSubmit(current, next, repeat)
      expect(await screen.findByText(message)).toBeTruthy()
      expect(requests.some((request) => request.method === 'PUT')).toBe(false)
    },
  )

  it('says the current password is wrong (403) and stays signed in', async () => {
    mockFetch({
      [`GET ${URL}`]: () => json({ managedByEnv: false }),
      [`PUT ${URL}`]: () =>
        apiError(403, 'wrong_current_password', 'The current admin password is wrong'),
    })
    renderSignedIn(<AdminPasswordCard />)
    await fillAndSubmit('not-it', 'brand-new-password')
    expect(await screen.findByText('当前密码不正确。')).toBeTruthy()
    expect(loadAuthorization()).toBe(basicAuthorization('admin', 'secret'))
  })

  it('shows the lockout of too many failures in Chinese', async () => {
    mockFetch({
      [`GET ${URL}`]: () => json({ managedByEnv: false }),
      [`PUT ${URL}`]: () =>
        apiError(429, 'too_many_failed_logins', 'Too many', { 'retry-after': '42' }),
    })
    renderSignedIn(<AdminPasswordCard />)
    await fillAndSubmit('not-it', 'brand-new-password')
    expect(await screen.findByText('失败次数过多，请 42 秒后再试。')).toBeTruthy()
  })

  it('only explains that ADMIN_PASSWORD fixes the password when the environment sets it', async () => {
    mockFetch({ [`GET ${URL}`]: () => json({ managedByEnv: true }) })
    renderSignedIn(<AdminPasswordCard />)
    const card = await screen.findByRole('region', { name: '管理员密码' })
    expect(
      await within(card).findByText(/管理员密码来自环境变量 ADMIN_PASSWORD，无法在此修改/),
    ).toBeTruthy()
    expect(within(card).queryByLabelText('当前密码')).toBeNull()
  })

  it('in English too', async () => {
    mockFetch({ [`GET ${URL}`]: () => json({ managedByEnv: true }) })
    renderSignedIn(<AdminPasswordCard />, { language: 'en' })
    const card = await screen.findByRole('region', { name: 'Admin password' })
    expect(
      await within(card).findByText(/comes from the ADMIN_PASSWORD environment variable/),
    ).toBeTruthy()
  })
})
