import { beforeAll, describe, expect, it } from 'vitest'
import { openFromNavigation, signIn } from './helpers/dashboard-actions.js'
import { ADMIN_PASSWORD, CLIENT_KEY, useDashboardSuite } from './helpers/dashboard-suite.js'
import { saveScreenshot } from './helpers/screenshots.js'
import { sendChatCompletion } from './helpers/server-clients.js'
import { UPSTREAM_KEYS } from './helpers/upstream.js'

const MODEL = 'Qwen/Qwen2.5-7B-Instruct'

function totalTokensOf(body: unknown): number {
  const usage = (body as { usage?: { total_tokens?: unknown } }).usage
  if (typeof usage?.total_tokens !== 'number') throw new Error(`no usage: ${JSON.stringify(body)}`)
  return usage.total_tokens
}

describe('a request sent through the proxy', () => {
  const suite = useDashboardSuite()
  let totalTokens = 0

  beforeAll(async () => {
    await suite.admin.addKeys(UPSTREAM_KEYS.first)
    const reply = await sendChatCompletion(suite.serverUrl, CLIENT_KEY, MODEL)
    expect(reply.status).toBe(200)
    totalTokens = totalTokensOf(reply.body)
    await suite.admin.waitForLogRows(1)
  })

  it('shows in the request log with its model, status and tokens', async ({ task }) => {
    const { page } = suite
    await signIn(page, ADMIN_PASSWORD)
    await openFromNavigation(page, '请求日志')

    const row = page.getByRole('row').filter({ hasText: MODEL })
    await row.waitFor()
    const cells = await row.getByRole('cell').allInnerTexts()
    // Time, status, request, model, key, tokens, duration.
    expect(cells[1]).toBe('200')
    expect(cells[2]).toBe('POST /v1/chat/completions')
    expect(cells[3]).toBe(MODEL)
    expect(cells[4]).toContain('sk-e2e…0001')
    expect(cells[5]).toBe(String(totalTokens))
    await saveScreenshot(page, task.name, 'logs')
  })

  it('is counted on the overview usage chart', async ({ task }) => {
    const { page } = suite
    await signIn(page, ADMIN_PASSWORD)

    // The chart's accessible summary, then the same count in its data table.
    await page.getByRole('img', { name: '请求: 共 1 次请求，0 次错误（0.0%）' }).waitFor()
    const requestsChart = page.getByRole('figure').filter({ hasText: '请求' }).first()
    await requestsChart.getByText('以表格查看数据').click()
    const busyBuckets = requestsChart
      .getByRole('table')
      .getByRole('row')
      .filter({ has: page.getByRole('cell', { name: '1', exact: true }) })
    // The table is built only once the details element reports itself open.
    await busyBuckets.first().waitFor()
    expect(await busyBuckets.count()).toBe(1)
    expect(await busyBuckets.getByRole('cell').allInnerTexts()).toEqual(['1', '0'])
    await saveScreenshot(page, task.name, 'overview')
  })
})
