import { createHmac } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type {
  ListNotificationsResponse,
  NotificationTestResult,
  NotificationView,
} from '@sfp/schemas'
import { describe, expect, it } from 'vitest'
import { startNotificationReceiver } from '../helpers/notification-receiver.js'
import { basicAuth, buildTestApp, tempDataDir } from '../helpers/test-app.js'

const admin = { authorization: basicAuth() }
const ROBOT_TOKEN = 'robot-token-0123456789abcdef'
const SIGNING_SECRET = 'webhook-signing-secret-42'
const ENCRYPTION_KEY = 'test-encryption-key-0123456789'

type App = Awaited<ReturnType<typeof buildTestApp>>['app']

async function call(
  app: App,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  payload?: unknown,
) {
  return app.inject({
    method,
    url: `/api/manage${url}`,
    headers: admin,
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  })
}

function storedBytes(dataDir: string): string {
  return readdirSync(dataDir, { withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => readFileSync(join(dataDir, entry.name)).toString('latin1'))
    .join('')
}

describe('notification targets routes', () => {
  it('creates, lists, edits and deletes a target, never answering its secrets', async () => {
    const { app } = await buildTestApp()
    const created = await call(app, 'POST', '/notifications', {
      kind: 'dingtalk',
      url: `https://oapi.dingtalk.com/robot/send?access_token=${ROBOT_TOKEN}`,
      secret: SIGNING_SECRET,
      label: ' 值班群 ',
    })
    expect(created.statusCode).toBe(201)
    const view = created.json() as NotificationView
    expect(view).toMatchObject({
      kind: 'dingtalk',
      label: '值班群',
      url: 'https://oapi.dingtalk.com/robot/send?access_token=***',
      hasSecret: true,
      chatId: null,
      enabled: true,
      language: 'zh',
      lastSentAt: null,
      lastError: null,
    })
    expect(view.events).toHaveLength(16)

    const list = await call(app, 'GET', '/notifications')
    expect(list.json()).toEqual({ notifications: [view] } satisfies ListNotificationsResponse)

    const edited = await call(app, 'PATCH', `/notifications/${view.id}`, {
      secret: null,
      events: ['key_invalid_recovered', 'key_invalid'],
      language: 'en',
    })
    expect(edited.statusCode).toBe(200)
    expect(edited.json()).toMatchObject({
      id: view.id,
      hasSecret: false,
      events: ['key_invalid', 'key_invalid_recovered'],
      language: 'en',
      label: '值班群',
    })
    for (const response of [created, list, edited]) {
      expect(response.body).not.toContain(ROBOT_TOKEN)
      expect(response.body).not.toContain(SIGNING_SECRET)
    }

    const url = `/notifications/${view.id}`
    expect((await call(app, 'DELETE', url)).statusCode).toBe(204)
    expect((await call(app, 'DELETE', url)).statusCode).toBe(404)
    expect((await call(app, 'PATCH', url, { enabled: false })).statusCode).toBe(404)
    const test = await call(app, 'POST', `${url}/test`)
    expect(test.statusCode).toBe(404)
    expect(test.json().error).toMatchObject({
      code: 'not_found',
      message: `No notification target with id ${view.id}`,
    })
    expect(app.notifications.list()).toEqual({ notifications: [] })
  })

  it.each([
    ['an unknown kind', { kind: 'pager', url: 'https://x.example' }, 'body.kind'],
    ['a URL that is not http(s)', { kind: 'webhook', url: 'ftp://x.example' }, 'body.url'],
    ['a Telegram target without its chat', { kind: 'telegram', secret: '1:abc' }, 'body.chatId'],
    ['a field of another kind', { kind: 'wecom', url: 'https://x.example', secret: 's' }, 'body'],
    ['no event', { kind: 'webhook', url: 'https://x.example', events: [] }, 'body.events'],
  ])('refuses %s with 400 and stores nothing', async (_, payload, field) => {
    const { app } = await buildTestApp()
    const response = await call(app, 'POST', '/notifications', payload)
    expect(response.statusCode).toBe(400)
    expect(response.json().error.fields.map((f: { field: string }) => f.field)).toContain(field)
    expect(app.notifications.list().notifications).toEqual([])
  })

  it('checks an edit against the whole target: 400 and nothing changed', async () => {
    const { app } = await buildTestApp()
    const webhook = (
      await call(app, 'POST', '/notifications', { kind: 'webhook', url: 'https://x.example/h' })
    ).json() as NotificationView
    const telegram = (
      await call(app, 'POST', '/notifications', { kind: 'telegram', secret: '1:abc', chatId: '-5' })
    ).json() as NotificationView

    const chatOnWebhook = await call(app, 'PATCH', `/notifications/${webhook.id}`, { chatId: '1' })
    expect(chatOnWebhook.statusCode).toBe(400)
    const tokenless = await call(app, 'PATCH', `/notifications/${telegram.id}`, { secret: null })
    expect(tokenless.statusCode).toBe(400)
    expect(tokenless.json().error.fields[0].field).toBe('body.secret')
    const empty = await call(app, 'PATCH', `/notifications/${webhook.id}`, {})
    expect(empty.statusCode).toBe(400)
    const badId = await call(app, 'PATCH', '/notifications/abc', { enabled: false })
    expect(badId.statusCode).toBe(400)
    expect(app.notifications.list().notifications).toEqual([webhook, telegram])
  })

  it('needs the admin login', async () => {
    const { app } = await buildTestApp()
    const response = await app.inject({ method: 'GET', url: '/api/manage/notifications' })
    expect(response.statusCode).toBe(401)
  })

  it('the test button reaches the webhook with a valid signature and records the send', async () => {
    const receiver = await startNotificationReceiver()
    const { app } = await buildTestApp()
    const view = (
      await call(app, 'POST', '/notifications', {
        kind: 'webhook',
        url: `${receiver.url}/hook?token=${ROBOT_TOKEN}`,
        secret: SIGNING_SECRET,
      })
    ).json() as NotificationView

    const response = await call(app, 'POST', `/notifications/${view.id}/test`)
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({
      ok: true,
      status: 200,
      error: null,
    } satisfies NotificationTestResult)

    const [message] = receiver.received
    expect(receiver.received).toHaveLength(1)
    expect(message?.url).toBe(`/hook?token=${ROBOT_TOKEN}`)
    expect(message?.json).toMatchObject({ event: 'test', severity: 'info' })
    const expected = `sha256=${createHmac('sha256', SIGNING_SECRET)
      .update(message?.body ?? '')
      .digest('hex')}`
    expect(message?.headers['x-sfp-signature']).toBe(expected)
    expect(app.notifications.view(view.id)?.lastSentAt).toEqual(expect.any(String))
  })

  it('a test to a receiver that refuses answers the failure, without the URL or secret', async () => {
    const { app } = await buildTestApp()
    // Nothing listens on port 9 (discard).
    const view = (
      await call(app, 'POST', '/notifications', {
        kind: 'webhook',
        url: `http://127.0.0.1:9/hook?token=${ROBOT_TOKEN}`,
        secret: SIGNING_SECRET,
      })
    ).json() as NotificationView
    const response = await call(app, 'POST', `/notifications/${view.id}/test`)
    expect(response.json()).toMatchObject({
      ok: false,
      status: null,
      error: { code: 'network_error', params: { errorCode: 'ECONNREFUSED' } },
    })
    expect(response.body).not.toContain(ROBOT_TOKEN)
    const list = await call(app, 'GET', '/notifications')
    expect(list.json().notifications[0]).toMatchObject({
      lastSentAt: null,
      lastError: { code: 'network_error' },
      lastErrorAt: expect.any(String),
    })
  })

  it('with ENCRYPTION_KEY stores URL and secret sealed, and opens them after a restart', async () => {
    const receiver = await startNotificationReceiver()
    const dataDir = tempDataDir()
    const first = await buildTestApp({ ENCRYPTION_KEY }, { dataDir })
    const view = (
      await call(first.app, 'POST', '/notifications', {
        kind: 'webhook',
        url: `${receiver.url}/hook?token=${ROBOT_TOKEN}`,
        secret: SIGNING_SECRET,
      })
    ).json() as NotificationView
    await first.app.close()
    const bytes = storedBytes(dataDir)
    expect(bytes).not.toContain(ROBOT_TOKEN)
    expect(bytes).not.toContain(SIGNING_SECRET)

    const second = await buildTestApp({ ENCRYPTION_KEY }, { dataDir })
    expect(second.app.notifications.list().notifications).toEqual([view])
    const test = await call(second.app, 'POST', `/notifications/${view.id}/test`)
    expect(test.json()).toMatchObject({ ok: true })
    const [message] = await receiver.waitFor(1)
    expect(message?.url).toBe(`/hook?token=${ROBOT_TOKEN}`)
    const signature = createHmac('sha256', SIGNING_SECRET)
      .update(message?.body ?? '')
      .digest('hex')
    expect(message?.headers['x-sfp-signature']).toBe(`sha256=${signature}`)
    await second.app.close()

    await expect(buildTestApp({}, { dataDir })).rejects.toThrow(
      /^1 stored notification targets are encrypted but ENCRYPTION_KEY is not set/,
    )
  })

  it('seals targets stored in plain text once ENCRYPTION_KEY is set', async () => {
    const dataDir = tempDataDir()
    const plain = await buildTestApp({}, { dataDir })
    await call(plain.app, 'POST', '/notifications', {
      kind: 'wecom',
      url: `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=${ROBOT_TOKEN}`,
    })
    await plain.app.close()
    expect(storedBytes(dataDir)).toContain(ROBOT_TOKEN)

    const sealed = await buildTestApp({ ENCRYPTION_KEY }, { dataDir })
    expect(sealed.app.notifications.fields(1)?.url).toContain(ROBOT_TOKEN)
    await sealed.app.close()
    expect(storedBytes(dataDir)).not.toContain(ROBOT_TOKEN)
  })
})
