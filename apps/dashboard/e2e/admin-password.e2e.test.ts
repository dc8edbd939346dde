import type { MockUpstream } from '@sfp/test-support/upstream'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, newDashboardContext } from './helpers/browser.js'
import { type BuiltServer, startBuiltServer } from './helpers/built-server.js'
import { openFromNavigation, signIn } from './helpers/dashboard-actions.js'
import { ADMIN_PASSWORD, CLIENT_KEY, useDashboardSuite } from './helpers/dashboard-suite.js'
import { saveScreenshot } from './helpers/screenshots.js'
import { startUpstreamWithAccounts } from './helpers/upstream.js'

const NEW_PASSWORD = 'e2e-new-admin-password-5678'
const FIRST_BOOT_LINE = /Admin password \(user "admin"\): (\S+)/

/** Status of an admin call made with Basic `admin:<password>` from the test, not the browser. */
async function adminStatus(serverUrl: string, password: string): Promise<number> {
  const authorization = `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`
  const response = await fetch(`${serverUrl}/api/manage/config`, { headers: { authorization } })
  await response.body?.cancel()
  return response.status
}

async function adminPasswordCard(page: Page) {
  await openFromNavigation(page, '设置')
  const card = page.getByRole('region', { name: '管理员密码', exact: true })
  await card.waitFor()
  return card
}

/** ADMIN_PASSWORD not set: the password generated at first boot, changed from the dashboard. */
describe('changing the admin password in the dashboard', () => {
  let upstream: MockUpstream | undefined
  let server: BuiltServer | undefined
  let browser: Browser | undefined
  let firstPassword = ''

  beforeAll(async () => {
    upstream = await startUpstreamWithAccounts()
    server = await startBuiltServer({
      upstreamUrl: upstream.url,
      adminPassword: '',
      clientKey: CLIENT_KEY,
    })
    const line = server.output.find((l) => FIRST_BOOT_LINE.test(l))
    firstPassword = FIRST_BOOT_LINE.exec(line ?? '')?.[1] ?? ''
    expect(firstPassword, server.output.join('\n')).not.toBe('')
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
    try {
      await server?.stop()
    } finally {
      await upstream?.close()
    }
  })

  it('keeps this browser signed in with the new password and signs the others out', async ({
    task,
  }) => {
    if (!browser || !server) throw new Error('not started')
    const mine = await newDashboardContext(browser, server.url)
    const other = await newDashboardContext(browser, server.url)
    const pageErrors: Error[] = []
    try {
      const page = await mine.newPage()
      const otherPage = await other.newPage()
      for (const p of [page, otherPage]) p.on('pageerror', (error) => pageErrors.push(error))
      await signIn(page, firstPassword)
      await signIn(otherPage, firstPassword)

      const card = await adminPasswordCard(page)
      const current = card.getByLabel('当前密码', { exact: true })
      const next = card.getByLabel('新密码', { exact: true })
      const repeat = card.getByLabel('再次输入新密码', { exact: true })
      const submit = card.getByRole('button', { name: '修改密码' })

      // Checked in the page before anything is sent.
      await current.fill(firstPassword)
      await next.fill(NEW_PASSWORD)
      await repeat.fill(`${NEW_PASSWORD}-typo`)
      await submit.click()
      await card.getByText('两次输入的新密码不一致。').waitFor()
      await next.fill('short')
      await repeat.fill('short')
      await submit.click()
      await card.getByText('新密码至少需要 8 个字符。').waitFor()

      // The server refuses a wrong current password, in Chinese, and the session goes on.
      await current.fill('not-the-current-password')
      await next.fill(NEW_PASSWORD)
      await repeat.fill(NEW_PASSWORD)
      await submit.click()
      await card.getByText('当前密码不正确。').waitFor()
      await saveScreenshot(page, task.name, 'wrong-current-password')
      expect(await adminStatus(server.url, firstPassword)).toBe(200)

      await current.fill(firstPassword)
      await submit.click()
      await page.getByText('管理员密码已修改，其他浏览器需要用新密码重新登录').waitFor()
      await saveScreenshot(page, task.name, 'changed')
      expect(await current.inputValue()).toBe('')

      expect(await adminStatus(server.url, firstPassword)).toBe(401)
      expect(await adminStatus(server.url, NEW_PASSWORD)).toBe(200)

      // This browser keeps working, across pages and a reload (the stored login is the new one).
      await openFromNavigation(page, '客户端密钥')
      await openFromNavigation(page, '设置')
      await page.reload()
      await page.getByRole('heading', { level: 1, name: '设置' }).waitFor()
      expect(await page.getByRole('heading', { name: '登录管理面板' }).count()).toBe(0)

      // The other browser's next call gets 401: back to the sign-in page, the new password works.
      await openFromNavigation(otherPage, '客户端密钥').catch(() => undefined)
      await otherPage.getByRole('heading', { name: '登录管理面板' }).waitFor()
      await saveScreenshot(otherPage, task.name, 'other-browser-signed-out')
      await otherPage.getByLabel('管理员密码').fill(NEW_PASSWORD)
      await otherPage.getByRole('button', { name: '登录', exact: true }).click()
      await otherPage.getByRole('navigation', { name: '主导航' }).waitFor()
    } finally {
      await mine.close()
      await other.close()
    }
    expect(pageErrors.map((error) => error.message)).toEqual([])
  })
})

/** ADMIN_PASSWORD set: the card only says where the password comes from. */
describe('the admin password from the environment', () => {
  const suite = useDashboardSuite()

  it('says the password comes from ADMIN_PASSWORD and shows no form', async ({ task }) => {
    const { page } = suite
    await signIn(page, ADMIN_PASSWORD)
    const card = await adminPasswordCard(page)
    await card
      .getByText('管理员密码来自环境变量 ADMIN_PASSWORD，无法在此修改。', { exact: false })
      .waitFor()
    expect(await card.getByLabel('当前密码', { exact: true }).count()).toBe(0)
    await saveScreenshot(page, task.name, 'from-env')
  })
})
