import { type HttpConnectProxy, startHttpConnectProxy } from '@sfp/test-support'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openFromNavigation, signIn } from './helpers/dashboard-actions.js'
import { ADMIN_PASSWORD, CLIENT_KEY, useDashboardSuite } from './helpers/dashboard-suite.js'
import { saveScreenshot } from './helpers/screenshots.js'
import { sendChatCompletion } from './helpers/server-clients.js'
import { UPSTREAM_KEYS } from './helpers/upstream.js'

const MODEL = 'Qwen/Qwen2.5-7B-Instruct'
const AUTH = { username: 'lane', password: 'lane-pa55' }
/** Each answer takes this long upstream: lanes working in parallel show in the total time. */
const UPSTREAM_DELAY_MS = 400

/**
 * What a user of egress lanes does first: add three proxies in the dashboard, turn this host's
 * own egress off, and see three lanes serve at once, each with its own key and IP.
 */
describe('three proxies added in the dashboard', () => {
  const suite = useDashboardSuite()
  const proxies: HttpConnectProxy[] = []

  beforeAll(async () => {
    for (const address of ['127.0.0.2', '127.0.0.3', '127.0.0.4']) {
      proxies.push(await startHttpConnectProxy({ outgoingAddress: address, auth: AUTH }))
    }
  })
  afterAll(async () => {
    await Promise.all(proxies.map((proxy) => proxy.close()))
  })

  it('serve in parallel, each lane with its own key and source address', async ({ task }) => {
    const { page, admin, upstream, serverUrl } = suite
    await admin.addKeys(Object.values(UPSTREAM_KEYS).join('\n'))
    await signIn(page, ADMIN_PASSWORD)
    await openFromNavigation(page, '出口')
    const url = page.getByLabel('出口地址', { exact: true })
    for (const [index, proxy] of proxies.entries()) {
      await url.fill(proxy.urlWithAuth)
      await page.getByLabel('备注（可选）', { exact: true }).fill(`proxy-${index + 1}`)
      await page.getByRole('button', { name: '添加', exact: true }).click()
      await page.getByText(`proxy-${index + 1} 已添加`, { exact: true }).waitFor()
    }
    // This host's own egress off: only the three proxies go out.
    const direct = page.getByRole('row').filter({ hasText: '出口 #1' })
    await direct.getByRole('button', { name: /^停用/ }).click()
    await direct.getByText('已停用', { exact: true }).waitFor()
    expect(await page.locator('body').textContent()).not.toContain(AUTH.password)
    await saveScreenshot(page, task.name, 'egresses')

    upstream.script({
      match: { path: '/v1/chat/completions' },
      fault: { kind: 'delay', ms: UPSTREAM_DELAY_MS },
      times: Number.POSITIVE_INFINITY,
    })
    const before = upstream.requests.length
    const started = Date.now()
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => sendChatCompletion(serverUrl, CLIENT_KEY, MODEL)),
    )
    const elapsed = Date.now() - started
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 200])
    // Three at once: two rounds of the upstream's delay, where one lane would need six.
    expect(elapsed).toBeLessThan(5 * UPSTREAM_DELAY_MS)
    const keyBySource = new Map<string, Set<string | undefined>>()
    for (const request of upstream.requests.slice(before)) {
      const keys = keyBySource.get(request.sourceAddress) ?? new Set()
      keys.add(request.key)
      keyBySource.set(request.sourceAddress, keys)
    }
    expect([...keyBySource.keys()].sort()).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.4'])
    const keys = [...keyBySource.values()].map((set) => [...set])
    for (const set of keys) expect(set).toHaveLength(1)
    expect(new Set(keys.flat()).size).toBe(3)

    // The overview shows the three lanes, each with a key of its own.
    await openFromNavigation(page, '概览')
    const lanes = page.getByRole('region', { name: '出口通道' })
    for (const index of [1, 2, 3])
      await lanes.getByText(`proxy-${index}`, { exact: true }).waitFor()
    const laneKeys = await lanes
      .locator('[data-lane-id]')
      .evaluateAll((items) =>
        items
          .filter((item) => !item.textContent?.includes('已停用'))
          .map((item) => item.querySelector('dd')?.textContent?.trim() ?? ''),
      )
    expect(laneKeys).toHaveLength(3)
    expect(new Set(laneKeys).size).toBe(3)
    for (const key of laneKeys) expect(key).not.toBe('—')
    await saveScreenshot(page, task.name, 'overview-three-lanes')
  })
})
