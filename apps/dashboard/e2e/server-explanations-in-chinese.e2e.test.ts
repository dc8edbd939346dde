import { join } from 'node:path'
import { legacyTime, writeLegacyDatabase } from '@sfp/test-support/legacy'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { openFromNavigation, signIn } from './helpers/dashboard-actions.js'
import { ADMIN_PASSWORD, CLIENT_KEY, useDashboardSuite } from './helpers/dashboard-suite.js'
import { saveScreenshot } from './helpers/screenshots.js'
import { sendChatCompletion } from './helpers/server-clients.js'
import { UPSTREAM_KEYS } from './helpers/upstream.js'

const MODEL = 'Qwen/Qwen2.5-7B-Instruct'

/**
 * ASCII words a Chinese page may show: product and model names, settings and codes (all capitals
 * or with digits), API paths, units. Anything else in Latin letters would be an English sentence
 * the server built and the dashboard passed on untranslated.
 */
const ALLOWED = new Set([
  'SiliconFlow',
  'siliconflowProxy',
  'OpenAI',
  'Qwen',
  'Instruct',
  'direct',
  'user',
  'info',
  'models',
  'chat',
  'completions',
  'immediate',
  'wait',
  'http',
  'https',
  'socks',
  'Bearer',
  // The Chinese UI's own terms: tokens, and the status filter's keyword (`如 200、429、5xx、error`).
  'Token',
  'error',
])

function englishWords(text: string): string[] {
  // An HTTP header name the Chinese UI quotes as it is.
  // Stable error codes (`key_switch_guard`) are ids, shown as the API names them.
  const words =
    text
      .replaceAll('Retry-After', '')
      .replace(/\b[a-z0-9]+(?:_[a-z0-9]+)+\b/g, '')
      .match(/[A-Za-z][A-Za-z'’]{2,}/g) ?? []
  return words.filter((word) => !ALLOWED.has(word) && !/^[A-Z][A-Z0-9_]*$/.test(word))
}

async function mainText(page: Page): Promise<string> {
  // innerText: table cells and blocks apart, as a reader sees them.
  return (await page.locator('main').allInnerTexts()).join('\n')
}

/**
 * What a new user of the Chinese dashboard sees after real trouble: a key failing until the
 * threshold, the switch guard refusing to move to another key, and every page in Chinese.
 */
describe('the server explains itself in Chinese', () => {
  const suite = useDashboardSuite()

  it('after key failures and a guard refusal, Keys, Overview, Egresses and Logs have no English sentence', async ({
    task,
  }) => {
    const { page, admin, upstream, serverUrl } = suite
    const { added } = await admin.addKeys(`${UPSTREAM_KEYS.first}\n${UPSTREAM_KEYS.second}`)
    const second = added.find((key) => key.maskedKey === 'sk-e2e…0002')
    if (!second) throw new Error(`the second key was not added: ${JSON.stringify(added)}`)
    // The first key's connection drops before any answer: network errors, counted against it.
    upstream.script({
      match: { path: '/v1/chat/completions', key: UPSTREAM_KEYS.first },
      fault: { kind: 'reset-before-headers' },
      times: Number.POSITIVE_INFINITY,
    })
    // Up to three attempts per request (UPSTREAM_RETRIES=2): the 5th failure in a row (the
    // threshold) takes the key out, and moving to the second key inside the guard window is
    // refused from then on.
    const statuses: number[] = []
    let refused: { status: number; body: unknown } | undefined
    for (let request = 0; request < 5 && refused === undefined; request += 1) {
      const answer = await sendChatCompletion(serverUrl, CLIENT_KEY, MODEL)
      statuses.push(answer.status)
      if (answer.status === 503) refused = answer
    }
    expect(statuses.at(-1)).toBe(503)
    expect(refused?.body).toMatchObject({ error: { code: 'key_switch_guard' } })

    await signIn(page, ADMIN_PASSWORD)
    await page
      .getByText(/出口 #1 的切换保护暂不允许/)
      .first()
      .waitFor()
    await page
      .getByText(/连续失败 5 次/)
      .first()
      .waitFor()
    const found: Record<string, string[]> = { 概览: englishWords(await mainText(page)) }
    await saveScreenshot(page, task.name, 'overview')

    await openFromNavigation(page, '密钥')
    await page
      .getByText(/网络错误/)
      .first()
      .waitFor()
    found.密钥 = englishWords(await mainText(page))
    await saveScreenshot(page, task.name, 'keys')

    // A balance check of the second key sends it from the lane's IP inside the window: the
    // guard refuses, and the answer's explanation is worded in Chinese where the check was asked.
    await page
      .getByRole('region', { name: '密钥', exact: true })
      .getByRole('button', { name: `管理密钥 #${second.id}（sk-e2e…0002）` })
      .click()
    const details = page.getByRole('dialog', { name: `密钥 #${second.id}` })
    await details.getByRole('button', { name: '检查余额' }).click()
    const confirm = page.getByRole('dialog', { name: '检查 sk-e2e…0002 的余额？' })
    await confirm.getByRole('button', { name: '检查余额' }).click()
    const refusal = confirm.getByRole('alert')
    await refusal.getByText(/出口 #1 的切换保护暂不允许对密钥 #\d+ 的余额检查/).waitFor()
    const refusalText = (await refusal.allInnerTexts()).join('\n')
    // The window end in the reader's time, never the answer's raw ISO time.
    expect(refusalText).toMatch(/保护窗口于 \d\d\/\d\d \d\d:\d\d:\d\d 结束/)
    expect(refusalText).not.toMatch(/\d{4}-\d\d-\d\dT/)
    found.余额检查被拒 = englishWords(refusalText)
    await saveScreenshot(page, task.name, 'keys-guard-refusal')
    await confirm.getByRole('button', { name: '取消' }).click()
    await details.getByRole('button', { name: '关闭' }).click()

    await openFromNavigation(page, '出口')
    found.出口 = englishWords(await mainText(page))

    await openFromNavigation(page, '请求日志')
    await admin.waitForLogRows(2)
    await page.reload()
    await page.getByRole('heading', { level: 1, name: '请求日志' }).waitFor()
    found.请求日志 = englishWords(await mainText(page))
    await saveScreenshot(page, task.name, 'logs')

    expect(found).toEqual({ 概览: [], 密钥: [], 余额检查被拒: [], 出口: [], 请求日志: [] })
  })
})

/** Upstream keys of the old database: digits after `sk-`, so their masks hold no word. */
const LEGACY_KEY = (n: number) => `sk-${String(n).padStart(32, '0')}`

/**
 * An old siliconflowProxy database in the data folder: keys in several states, a proxy, rows the
 * import leaves out (each a note) and an IP block still running.
 */
function writeOldDatabase(dataDir: string): void {
  writeLegacyDatabase(join(dataDir, 'api_keys.db'), {
    keys: [
      { api_key: LEGACY_KEY(1), status: 'active', created_at: '2025-03-01 09:00:00' },
      { api_key: LEGACY_KEY(2), status: 'insufficient', created_at: '2025-03-02 09:00:00' },
      { api_key: LEGACY_KEY(3), status: 'active', is_available: 0 },
      { api_key: 'sk-1', created_at: '2025-03-04 00:00:00' },
      { api_key: '', created_at: '2025-03-04 00:00:01' },
    ],
    proxies: [
      { enabled: 1, type: 'socks5', host: '127.0.0.1', port: 1080, order_index: 1 },
      { enabled: 1, type: 'http', host: '', port: 8080, order_index: 2 },
    ],
    blocks: [{ unblock_at: legacyTime(Date.now() + 2 * 3_600_000), reason: null }],
  })
}

describe('the import of an old siliconflowProxy database, told in Chinese', () => {
  const suite = useDashboardSuite({ prepareDataDir: writeOldDatabase })

  it('the overview shows the one-time import notice, with no English sentence', async ({
    task,
  }) => {
    const { page } = suite
    await signIn(page, ADMIN_PASSWORD)
    const notice = page.getByRole('region', { name: '已从 siliconflowProxy 导入数据' })
    await notice.getByText(/密钥：导入 3 个/).waitFor()
    // The left-out rows, opened as a reader would.
    await notice.getByText(/未导入或有改动的行/).click()
    await notice.getByText('没有密钥').waitFor()
    await notice.getByText(/直连出口暂停使用，直到/).waitFor()
    await saveScreenshot(page, task.name, 'overview-import')
    expect({
      导入通知: englishWords((await notice.allInnerTexts()).join('\n')),
      概览: englishWords(await mainText(page)),
    }).toEqual({ 导入通知: [], 概览: [] })

    // Once dismissed, never shown again.
    await notice.getByRole('button', { name: '知道了，不再显示' }).click()
    await notice.waitFor({ state: 'detached' })
    await page.reload()
    await page.getByRole('heading', { level: 1, name: '概览' }).waitFor()
    expect(await page.getByText('已从 siliconflowProxy 导入数据').count()).toBe(0)
  })
})
