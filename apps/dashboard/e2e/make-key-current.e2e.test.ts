import { describe, expect, it } from 'vitest'
import { openFromNavigation, signIn } from './helpers/dashboard-actions.js'
import { ADMIN_PASSWORD, CLIENT_KEY, useDashboardSuite } from './helpers/dashboard-suite.js'
import { saveScreenshot } from './helpers/screenshots.js'
import { sendChatCompletion } from './helpers/server-clients.js'
import { UPSTREAM_KEYS } from './helpers/upstream.js'

describe('making a key current', () => {
  const suite = useDashboardSuite()

  it('asks with the switch-guard warning, then marks the chosen key as in use', async ({
    task,
  }) => {
    const { page, admin, serverUrl } = suite
    const { added } = await admin.addKeys(`${UPSTREAM_KEYS.first}\n${UPSTREAM_KEYS.second}`)
    const chosen = added.find((key) => key.maskedKey === 'sk-e2e…0002')
    if (!chosen) throw new Error(`the second key was not added: ${JSON.stringify(added)}`)
    // A request through the first key opens the switch guard's 30-minute window.
    expect(
      (await sendChatCompletion(serverUrl, CLIENT_KEY, 'Qwen/Qwen2.5-7B-Instruct')).status,
    ).toBe(200)

    await signIn(page, ADMIN_PASSWORD)
    await openFromNavigation(page, '密钥')
    const table = page.getByRole('region', { name: '密钥', exact: true })
    await table.getByRole('button', { name: `管理密钥 #${chosen.id}（sk-e2e…0002）` }).click()
    const details = page.getByRole('dialog', { name: `密钥 #${chosen.id}` })
    await details.getByRole('button', { name: '设为当前密钥' }).click()

    // Making a key current overrides the switch guard: the dialog says so before anything happens,
    // with the server's configured window (KEY_SWITCH_GUARD_MINUTES, 30 by default) and the time
    // left of it.
    const confirm = page.getByRole('dialog', { name: '把 sk-e2e…0002 设为当前密钥？' })
    await confirm
      .getByText('这会跳过 30 分钟切换保护，立即改用这个密钥，并记录这次手动切换。', {
        exact: true,
      })
      .waitFor()
    await confirm.getByText('切换保护剩余时间：', { exact: false }).waitFor()
    expect(await confirm.getByRole('timer').textContent()).toMatch(/^(30:00|29:[0-5]\d)$/)
    await saveScreenshot(page, task.name, 'keys-confirm')
    await confirm.getByRole('button', { name: '设为当前密钥' }).click()

    await page.getByText('sk-e2e…0002 已设为当前密钥').waitFor()
    await confirm.waitFor({ state: 'detached' })
    await details.getByText('使用中', { exact: true }).waitFor()
    expect(await details.getByRole('button', { name: '设为当前密钥' }).isDisabled()).toBe(true)
    // Its opener is disabled now, so keyboard focus moved on to the next action, not to the page.
    expect(
      await details
        .getByRole('button', { name: '检查余额' })
        .evaluate((button) => button === document.activeElement),
    ).toBe(true)
    await details.getByRole('button', { name: '关闭' }).click()

    // In the table exactly the chosen key's row carries the "in use" tag.
    const inUseRows = table.getByRole('row').filter({ hasText: '使用中' })
    await inUseRows.first().waitFor()
    expect(await inUseRows.count()).toBe(1)
    expect(await inUseRows.getByRole('button', { name: /^管理密钥/ }).textContent()).toBe(
      'sk-e2e…0002',
    )
    await saveScreenshot(page, task.name, 'keys')

    // The overview's "key in use" card follows.
    await openFromNavigation(page, '概览')
    const currentKeyCard = page.getByRole('region', { name: '当前密钥' })
    await currentKeyCard.getByText('sk-e2e…0002').waitFor()
    await saveScreenshot(page, task.name, 'overview')
  })
})
