import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { openFromNavigation, signIn } from './helpers/dashboard-actions.js'
import { ADMIN_PASSWORD, useDashboardSuite } from './helpers/dashboard-suite.js'
import { fitsWidth, horizontalOverflow, PHONE } from './helpers/phone-width.js'
import { saveScreenshot } from './helpers/screenshots.js'
import { UPSTREAM_KEYS } from './helpers/upstream.js'

/** The proxy's password: it goes to the server once and must never come back to the page. */
const PROXY_PASSWORD = 's3cret-pass'
/** Nothing listens on the discard port: the egress can be added, and its check fails. */
const PROXY_URL = `http://user:${PROXY_PASSWORD}@127.0.0.1:9`
/** How the server shows it: the password as `***`. */
const MASKED_URL = 'http://user:***@127.0.0.1:9'
const LABEL = 'e2e-proxy'

/** The password is in no text of the page and in no field. */
async function expectPasswordNowhere(page: Page): Promise<void> {
  expect(await page.locator('body').textContent()).not.toContain(PROXY_PASSWORD)
  const values = await page
    .locator('input, textarea')
    .evaluateAll((fields) => fields.map((field) => (field as HTMLInputElement).value))
  for (const value of values) expect(value).not.toContain(PROXY_PASSWORD)
}

describe('egresses', () => {
  const suite = useDashboardSuite()

  it('adds a proxy by URL with its password masked, disables, enables, checks and deletes it', async ({
    task,
  }) => {
    const { page, admin } = suite
    await admin.addKeys(UPSTREAM_KEYS.first)
    await signIn(page, ADMIN_PASSWORD)

    // The overview lists the lanes: at least the built-in direct one.
    const lanes = page.getByRole('region', { name: '出口通道' })
    await lanes.locator('[data-lane-id]').first().waitFor()
    await saveScreenshot(page, task.name, 'overview-lanes')

    await openFromNavigation(page, '出口')
    await page.getByText('硅基流动按 IP 防滥用', { exact: false }).waitFor()
    const url = page.getByLabel('出口地址', { exact: true })
    expect(await url.getAttribute('autocomplete')).toBe('off')
    await url.fill(PROXY_URL)
    await page.getByText('识别为：HTTP 代理（带用户名和密码）').waitFor()
    await page.getByLabel('备注（可选）', { exact: true }).fill(LABEL)
    await page.getByRole('button', { name: '添加', exact: true }).click()

    await page.getByText(`${LABEL} 已添加`, { exact: true }).waitFor()
    expect(await url.inputValue()).toBe('')
    const row = page.getByRole('row').filter({ hasText: LABEL })
    await row.getByText(MASKED_URL, { exact: true }).waitFor()
    await row.getByText('HTTP 代理', { exact: false }).waitFor()
    await expectPasswordNowhere(page)
    await saveScreenshot(page, task.name, 'egresses-added')

    // Not after a reload either: the list comes from the server, masked.
    await page.reload()
    await row.getByText(MASKED_URL, { exact: true }).waitFor()
    await expectPasswordNowhere(page)

    await row.getByRole('button', { name: `停用“${LABEL}”` }).click()
    await page.getByText(`${LABEL} 已停用`, { exact: true }).waitFor()
    await row.getByText('已停用', { exact: true }).waitFor()
    await row.getByRole('button', { name: `启用“${LABEL}”` }).click()
    await page.getByText(`${LABEL} 已启用`, { exact: true }).waitFor()
    await row.getByRole('button', { name: `停用“${LABEL}”` }).waitFor()

    // Nothing listens behind it: the check says so, in the page language.
    await row.getByRole('button', { name: `检查“${LABEL}”` }).click()
    await row.getByText(/^连接失败/).waitFor()
    await saveScreenshot(page, task.name, 'egresses-checked')

    // The overview shows the new lane by its label, never by its URL.
    await openFromNavigation(page, '概览')
    await lanes.getByText(LABEL, { exact: true }).waitFor()
    await expectPasswordNowhere(page)
    await saveScreenshot(page, task.name, 'overview-two-lanes')

    await openFromNavigation(page, '出口')
    await row.getByRole('button', { name: `删除“${LABEL}”` }).click()
    const confirm = page.getByRole('dialog', { name: `删除“${LABEL}”？` })
    await confirm.getByText('使用这个出口的密钥会被解除绑定', { exact: false }).waitFor()
    await confirm.getByRole('button', { name: '删除', exact: true }).click()
    await page.getByText(`${LABEL} 已删除`, { exact: true }).waitFor()
    await confirm.waitFor({ state: 'detached' })
    await row.waitFor({ state: 'detached' })
    await saveScreenshot(page, task.name, 'egresses-deleted')
  })

  it('shows egresses as cards at phone width, without sideways scrolling', async ({ task }) => {
    const { page } = suite
    await page.setViewportSize(PHONE)
    await signIn(page, ADMIN_PASSWORD)
    await page.getByRole('region', { name: '出口通道' }).locator('[data-lane-id]').first().waitFor()
    expect(await horizontalOverflow(page)).toBe(0)

    await openFromNavigation(page, '出口')
    const card = page.locator('li.egress-card').first()
    await card.waitFor()
    expect(await page.locator('table').count()).toBe(0)
    const check = card.getByRole('button', { name: /^检查/ })
    expect(await fitsWidth(card)).toBe(true)
    expect(await fitsWidth(check)).toBe(true)
    expect(await fitsWidth(page.getByLabel('出口地址', { exact: true }))).toBe(true)
    expect(await horizontalOverflow(page)).toBe(0)
    await saveScreenshot(page, task.name, 'egresses')
  })
})
