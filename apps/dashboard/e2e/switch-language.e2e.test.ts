import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { signIn } from './helpers/dashboard-actions.js'
import { ADMIN_PASSWORD, useDashboardSuite } from './helpers/dashboard-suite.js'
import { saveScreenshot } from './helpers/screenshots.js'

const NAVIGATION = {
  zh: { name: '主导航', links: ['概览', '密钥', '出口', '请求日志', '客户端密钥', '通知', '设置'] },
  en: {
    name: 'Main navigation',
    links: [
      'Overview',
      'Keys',
      'Egress',
      'Request log',
      'Client keys',
      'Notifications',
      'Settings',
    ],
  },
} as const

async function expectLanguage(page: Page, language: 'zh' | 'en'): Promise<void> {
  const overview = NAVIGATION[language].links[0]
  await page.getByRole('heading', { level: 1, name: overview }).waitFor()
  const navigation = page.getByRole('navigation', { name: NAVIGATION[language].name })
  expect(await navigation.getByRole('link').allInnerTexts()).toEqual([
    ...NAVIGATION[language].links,
  ])
  // Set by an effect after the render: waited for, not read at once.
  await page
    .locator(`html[lang="${language === 'zh' ? 'zh-CN' : 'en'}"]`)
    .waitFor({ state: 'attached' })
}

describe('choosing the language', () => {
  const suite = useDashboardSuite()

  it('switches the labels to English and back, and keeps the choice across a reload', async ({
    task,
  }) => {
    const { page } = suite
    await signIn(page, ADMIN_PASSWORD)
    await expectLanguage(page, 'zh')

    await page.getByRole('button', { name: 'Switch to English' }).click()
    await expectLanguage(page, 'en')
    await page.getByRole('button', { name: 'Sign out' }).waitFor()
    await page.reload()
    await expectLanguage(page, 'en')
    await saveScreenshot(page, task.name, 'overview-english')

    await page.getByRole('button', { name: '切换到中文' }).click()
    await expectLanguage(page, 'zh')
    await page.reload()
    await expectLanguage(page, 'zh')
    await page.getByRole('button', { name: '退出登录' }).waitFor()
    await saveScreenshot(page, task.name, 'overview-chinese')
  })
})
