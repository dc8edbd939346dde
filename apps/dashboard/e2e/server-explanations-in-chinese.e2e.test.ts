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
    await admin.addKeys(`${UPSTREAM_KEYS.first}\n${UPSTREAM_KEYS.second}`)
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

    await openFromNavigation(page, '出口')
    found.出口 = englishWords(await mainText(page))

    await openFromNavigation(page, '请求日志')
    await admin.waitForLogRows(2)
    await page.reload()
    await page.getByRole('heading', { level: 1, name: '请求日志' }).waitFor()
    found.请求日志 = englishWords(await mainText(page))
    await saveScreenshot(page, task.name, 'logs')

    expect(found).toEqual({ 概览: [], 密钥: [], 出口: [], 请求日志: [] })
  })
})
