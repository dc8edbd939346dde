import { describe, expect, it } from 'vitest'
import { openFromNavigation, signIn } from './helpers/dashboard-actions.js'
import { ADMIN_PASSWORD, useDashboardSuite } from './helpers/dashboard-suite.js'
import { fitsWidth, horizontalOverflow, PHONE } from './helpers/phone-width.js'
import { saveScreenshot } from './helpers/screenshots.js'
import { UPSTREAM_KEYS } from './helpers/upstream.js'

describe('at phone width', () => {
  const suite = useDashboardSuite()

  it('signs in, lists the keys and opens a key’s actions without sideways scrolling', async ({
    task,
  }) => {
    const { page, admin } = suite
    const { added } = await admin.addKeys(`${UPSTREAM_KEYS.first}\n${UPSTREAM_KEYS.second}`)
    const second = added[1]
    if (!second) throw new Error(`the keys were not added: ${JSON.stringify(added)}`)
    await page.setViewportSize(PHONE)

    await signIn(page, ADMIN_PASSWORD)
    await page.getByRole('heading', { name: '密钥池' }).waitFor()
    expect(await horizontalOverflow(page)).toBe(0)
    await saveScreenshot(page, task.name, 'overview')

    await openFromNavigation(page, '密钥')
    // The table's own scroll container (the page section is a region of the same name).
    const table = page.locator('section.table-scroll--keys')
    const open = table.getByRole('button', { name: `管理密钥 #${second.id}（sk-e2e…0002）` })
    await open.waitFor()
    expect(await horizontalOverflow(page)).toBe(0)
    expect(await fitsWidth(table)).toBe(true)
    await saveScreenshot(page, task.name, 'keys')

    await open.click()
    const details = page.getByRole('dialog', { name: `密钥 #${second.id}` })
    const activate = details.getByRole('button', { name: '设为当前密钥' })
    await activate.waitFor()
    // The dialog and its actions fit the screen.
    expect(await fitsWidth(details)).toBe(true)
    expect(await fitsWidth(activate)).toBe(true)
    expect(await horizontalOverflow(page)).toBe(0)
    await saveScreenshot(page, task.name, 'key-actions')
  })
})
