import { describe, expect, it } from 'vitest'
import { openFromNavigation, signIn } from './helpers/dashboard-actions.js'
import { ADMIN_PASSWORD, useDashboardSuite } from './helpers/dashboard-suite.js'
import { saveScreenshot } from './helpers/screenshots.js'
import { UPSTREAM_KEYS } from './helpers/upstream.js'

describe('adding keys in bulk', () => {
  const suite = useDashboardSuite()

  it('adds the valid keys and reports duplicates and invalid entries with the reason', async ({
    task,
  }) => {
    const { page } = suite
    await signIn(page, ADMIN_PASSWORD)
    await openFromNavigation(page, '密钥')
    await page.getByText('还没有密钥。').waitFor()

    await page.getByRole('button', { name: '添加密钥' }).click()
    const addPanel = page.getByRole('region', { name: '添加密钥' })
    // Two new keys, the first one pasted twice, and an entry too short to be a key; the
    // separators are the ones a Chinese keyboard produces as well.
    await addPanel
      .getByLabel('API 密钥')
      .fill(`${UPSTREAM_KEYS.first}\n${UPSTREAM_KEYS.second}，${UPSTREAM_KEYS.first} sk-oops`)
    await addPanel.getByText('识别到 4 个条目（其中 1 个重复）').waitFor()
    await addPanel.getByRole('button', { name: '添加', exact: true }).click()

    await addPanel.getByText('已添加 2 个，重复 1 个，无效 1 个。').waitFor()
    const invalidEntries = addPanel.getByRole('listitem')
    // The reason in the page's language (the API's English `reason` is translated by its code).
    expect(await invalidEntries.allInnerTexts()).toEqual(['s…s: 太短（至少 8 个字符）'])
    // The new keys are in the table, masked, and the count follows.
    await page.getByText('显示 2 / 共 2 个').waitFor()
    const table = page.getByRole('region', { name: '密钥', exact: true })
    expect(await table.getByRole('button', { name: /^管理密钥 #\d+/ }).allInnerTexts()).toEqual([
      'sk-e2e…0001',
      'sk-e2e…0002',
    ])
    await saveScreenshot(page, task.name, 'keys')
  })
})
