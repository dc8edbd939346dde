import { createHmac } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { openFromNavigation, signIn } from './helpers/dashboard-actions.js'
import { ADMIN_PASSWORD, useDashboardSuite } from './helpers/dashboard-suite.js'
import { saveScreenshot } from './helpers/screenshots.js'

/** The webhook's signing secret: it goes to the server once and never comes back to the page. */
const SECRET = 'e2e-webhook-signing-secret'

interface Received {
  body: string
  signature: string | undefined
}

/** A webhook receiver on a port of its own, keeping what it was sent. */
async function startReceiver(): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = []
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const signature = request.headers['x-sfp-signature']
      received.push({
        body: Buffer.concat(chunks).toString('utf8'),
        signature: Array.isArray(signature) ? signature[0] : signature,
      })
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/hook`, received, server }
}

describe('notifications', () => {
  const suite = useDashboardSuite()
  const servers: Server[] = []
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it('adds a signed webhook target and sends a test message that arrives signed', async ({
    task,
  }) => {
    const { page } = suite
    const receiver = await startReceiver()
    servers.push(receiver.server)
    await signIn(page, ADMIN_PASSWORD)
    await openFromNavigation(page, '通知')

    await page.getByLabel('类型', { exact: true }).selectOption({ label: '通用 Webhook' })
    await page.getByLabel('接收地址', { exact: true }).fill(receiver.url)
    await page.getByLabel('签名密钥（可选）', { exact: true }).fill(SECRET)
    await page.getByLabel('备注（可选）', { exact: true }).fill('ops-hook')
    await page.locator('form button[type="submit"]').click()
    await page.getByText('ops-hook 已添加', { exact: true }).waitFor()

    await page.getByRole('button', { name: '发送测试' }).first().click()
    await page.getByText('测试消息已送达', { exact: false }).waitFor()
    await saveScreenshot(page, task.name, 'notifications')

    expect(receiver.received).toHaveLength(1)
    const [message] = receiver.received
    const expected = createHmac('sha256', SECRET)
      .update(message?.body ?? '')
      .digest('hex')
    expect(message?.signature).toBe(`sha256=${expected}`)
    expect(JSON.parse(message?.body ?? '{}')).toMatchObject({ event: expect.any(String) })
    expect(await page.locator('body').textContent()).not.toContain(SECRET)
  })
})
