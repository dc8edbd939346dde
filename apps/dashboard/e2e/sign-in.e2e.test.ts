import { describe, expect, it } from 'vitest'
import { signIn } from './helpers/dashboard-actions.js'
import { ADMIN_PASSWORD, useDashboardSuite } from './helpers/dashboard-suite.js'
import { saveScreenshot } from './helpers/screenshots.js'

describe('signing in and out', () => {
  const suite = useDashboardSuite()

  it('shows an error for a wrong password and stays on the sign-in form', async ({ task }) => {
    const { page } = suite
    await page.goto('/')
    await page.getByRole('heading', { name: '登录管理面板' }).waitFor()
    await page.getByLabel('管理员密码').fill('not-the-password')
    await page.getByRole('button', { name: '登录', exact: true }).click()

    await page.getByText('用户名或密码错误。').waitFor()
    expect(await page.getByRole('heading', { name: '登录管理面板' }).isVisible()).toBe(true)
    expect(await page.getByRole('navigation', { name: '主导航' }).count()).toBe(0)
    await saveScreenshot(page, task.name, 'sign-in')
  })

  it('reaches the overview with the right password', async ({ task }) => {
    const { page } = suite
    await page.goto('/')
    await page.getByLabel('管理员密码').fill(ADMIN_PASSWORD)
    await saveScreenshot(page, task.name, 'sign-in')
    await page.getByRole('button', { name: '登录', exact: true }).click()

    await page.getByRole('heading', { level: 1, name: '概览' }).waitFor()
    expect(await page.getByRole('navigation', { name: '主导航' }).isVisible()).toBe(true)
    // The live status arrived: the cards replace the "fetching" note.
    await page.getByRole('heading', { name: '密钥池' }).waitFor()
    await saveScreenshot(page, task.name, 'overview')
  })

  it('signs out back to the sign-in form, and a reload does not sign in again', async ({
    task,
  }) => {
    const { page } = suite
    await signIn(page, ADMIN_PASSWORD)
    await saveScreenshot(page, task.name, 'overview')
    await page.getByRole('button', { name: '退出登录' }).click()

    await page.getByRole('heading', { name: '登录管理面板' }).waitFor()
    await saveScreenshot(page, task.name, 'sign-in')
    await page.reload()
    await page.getByRole('heading', { name: '登录管理面板' }).waitFor()
    expect(await page.getByRole('navigation', { name: '主导航' }).count()).toBe(0)
  })
})
