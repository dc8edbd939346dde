import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { openFromNavigation, signIn } from './helpers/dashboard-actions.js'
import { ADMIN_PASSWORD, CLIENT_KEY, useDashboardSuite } from './helpers/dashboard-suite.js'
import { saveScreenshot } from './helpers/screenshots.js'
import { sendChatCompletion } from './helpers/server-clients.js'
import { UPSTREAM_KEYS } from './helpers/upstream.js'

const MODEL = 'Qwen/Qwen2.5-7B-Instruct'
/** Every SQLite database file starts with these 16 bytes. */
const SQLITE_HEADER = 'SQLite format 3\0'

describe('client keys and settings', () => {
  const suite = useDashboardSuite()

  it('creates a client key shown once with a copy button, lists it and revokes it', async ({
    task,
  }) => {
    const { page, admin, serverUrl } = suite
    await admin.addKeys(UPSTREAM_KEYS.first)
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'])
    await signIn(page, ADMIN_PASSWORD)
    await openFromNavigation(page, '客户端密钥')

    await page.getByLabel('名称', { exact: true }).fill('e2e-laptop')
    await page.getByRole('button', { name: '创建', exact: true }).click()
    const plaintext = page.getByLabel('新的客户端密钥', { exact: true })
    await plaintext.waitFor()
    const key = await plaintext.inputValue()
    expect(key).toMatch(/^sk-sfp-/)
    await page.getByText('这是唯一一次显示完整密钥。', { exact: false }).waitFor()
    await page.getByRole('button', { name: '复制新的客户端密钥' }).click()
    await page.getByText('已复制到剪贴板').waitFor()
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key)
    await saveScreenshot(page, task.name, 'client-keys-created')

    // The key works on the proxy at once.
    expect((await sendChatCompletion(serverUrl, key, MODEL)).status).toBe(200)

    await page.getByRole('button', { name: '我已保存，关闭' }).click()
    await plaintext.waitFor({ state: 'detached' })
    const row = page.getByRole('row').filter({ hasText: 'e2e-laptop' })
    await row.waitFor()
    // Listed masked: the plaintext is never shown again.
    expect(await row.getByRole('cell').nth(1).textContent()).toBe(
      `${key.slice(0, 11)}…${key.slice(-4)}`,
    )
    expect(await page.locator('body').textContent()).not.toContain(key)
    await saveScreenshot(page, task.name, 'client-keys')

    await row.getByRole('button', { name: '吊销客户端密钥“e2e-laptop”' }).click()
    const confirm = page.getByRole('dialog', { name: '吊销“e2e-laptop”？' })
    await confirm.getByRole('button', { name: '吊销', exact: true }).click()
    await page.getByText('已吊销“e2e-laptop”').waitFor()
    await row.waitFor({ state: 'detached' })
    expect((await sendChatCompletion(serverUrl, key, MODEL)).status).toBe(401)
  })

  it('shows the effective settings with secrets redacted, the snippets and a backup', async ({
    task,
  }) => {
    const { page, serverUrl } = suite
    await signIn(page, ADMIN_PASSWORD)
    await openFromNavigation(page, '设置')

    const config = page.getByRole('region', { name: '当前生效的配置' })
    const setting = (name: string) =>
      config.getByRole('row').filter({ has: page.getByRole('rowheader', { name, exact: true }) })
    await setting('PORT').waitFor()
    expect(await setting('ADMIN_PASSWORD').getByRole('cell').first().textContent()).toMatch(/机密/)
    expect(await setting('ADMIN_PASSWORD').textContent()).toContain('已设置')
    expect(await setting('KEY_SWITCH_GUARD_MINUTES').getByRole('cell').first().textContent()).toBe(
      '30',
    )
    const pageText = await page.locator('main').textContent()
    for (const secret of [ADMIN_PASSWORD, CLIENT_KEY]) expect(pageText).not.toContain(secret)

    // The snippets point at this server's /v1, whatever host and port it runs on.
    const snippets = page.getByRole('region', { name: '接入示例' })
    const codes = await snippets.locator('pre').allInnerTexts()
    expect(codes).toHaveLength(3)
    for (const code of codes) expect(code).toContain(`${serverUrl}/v1`)
    await saveScreenshot(page, task.name, 'settings')

    const backup = page.getByRole('region', { name: '备份' })
    await backup.getByText('备份文件包含所有上游密钥', { exact: false }).waitFor()
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      backup.getByRole('button', { name: '下载备份' }).click(),
    ])
    expect(download.suggestedFilename()).toMatch(/^sfp-backup-.+\.db$/)
    const file = await readFile(await download.path())
    expect(file.subarray(0, SQLITE_HEADER.length).toString('latin1')).toBe(SQLITE_HEADER)
    await page.getByText(`已下载备份 ${download.suggestedFilename()}`).waitFor()
    await saveScreenshot(page, task.name, 'settings-backup')
  })
})
