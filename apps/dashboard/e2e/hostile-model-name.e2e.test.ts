import { beforeAll, describe, expect, it } from 'vitest'
import { openFromNavigation, signIn } from './helpers/dashboard-actions.js'
import { ADMIN_PASSWORD, CLIENT_KEY, useDashboardSuite } from './helpers/dashboard-suite.js'
import { saveScreenshot } from './helpers/screenshots.js'
import { sendChatCompletion } from './helpers/server-clients.js'
import { UPSTREAM_KEYS } from './helpers/upstream.js'

/** Would run script if any part of the dashboard rendered client input as HTML. */
const HOSTILE_MODEL = '<img src=x onerror=window.__xss=1>'

describe('a hostile model name in the request log', () => {
  const suite = useDashboardSuite()

  beforeAll(async () => {
    await suite.admin.addKeys(UPSTREAM_KEYS.first)
    // Unknown model: the upstream answers 400, the proxy passes it through and still logs it.
    const reply = await sendChatCompletion(suite.serverUrl, CLIENT_KEY, HOSTILE_MODEL)
    expect(reply.status).toBe(400)
    await suite.admin.waitForLogRows(1)
  })

  it('is shown as text in the log table and the detail view, and never runs', async ({ task }) => {
    const { page } = suite
    await signIn(page, ADMIN_PASSWORD)
    await openFromNavigation(page, '请求日志')

    const row = page.getByRole('row').filter({ hasText: HOSTILE_MODEL })
    await row.getByRole('cell', { name: HOSTILE_MODEL, exact: true }).waitFor()
    // The status, and the error type on its own line under it (styled even when the Keys page,
    // whose lazily loaded CSS once held that style, was never opened).
    // biome-ignore lint/performance/useDomNodeTextContent: the line break comes from the CSS, the point here
    expect(await row.getByRole('cell').nth(1).innerText()).toBe('400\n上游返回错误')
    await saveScreenshot(page, task.name, 'logs')

    await row.getByRole('button', { name: /^查看 .+ 的请求详情$/ }).click()
    const details = page.getByRole('dialog', { name: '请求详情' })
    await details.getByText(HOSTILE_MODEL, { exact: true }).waitFor()
    await saveScreenshot(page, task.name, 'log-detail')

    // No element was made from the name, and its handler never ran.
    expect(await page.locator('img').count()).toBe(0)
    expect(await page.evaluate(() => Reflect.get(window, '__xss'))).toBeUndefined()
  })
})
