import type { Page } from 'playwright-core'

/**
 * Steps many tests take, with the labels the dashboard shows in Chinese (its default language;
 * see src/i18n/messages).
 */

/** Opens the dashboard and signs in with the form; resolves on the overview. */
export async function signIn(page: Page, password: string): Promise<void> {
  await page.goto('/')
  await page.getByLabel('管理员密码').fill(password)
  await page.getByRole('button', { name: '登录', exact: true }).click()
  await page.getByRole('heading', { level: 1, name: '概览' }).waitFor()
}

/** Follows a link of the main navigation and waits for the page's heading. */
export async function openFromNavigation(
  page: Page,
  linkName: '概览' | '密钥' | '出口' | '请求日志' | '客户端密钥' | '通知' | '设置',
): Promise<void> {
  await page
    .getByRole('navigation', { name: '主导航' })
    .getByRole('link', { name: linkName, exact: true })
    .click()
  await page.getByRole('heading', { level: 1, name: linkName, exact: true }).waitFor()
}
