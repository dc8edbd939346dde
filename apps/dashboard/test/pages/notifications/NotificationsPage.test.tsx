import {
  NOTIFICATION_EVENTS,
  type NotificationTestResult,
  type NotificationView,
} from '@sfp/schemas'
import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import type { Language } from '../../../src/i18n/language.js'
import { NotificationsPage } from '../../../src/pages/notifications/NotificationsPage.js'
import { json, mockFetch, type RecordedRequest } from '../../helpers/fetch-mock.js'
import { renderSignedIn } from '../../helpers/render.js'

const LIST = '/api/manage/notifications'

function notificationView(overrides: Partial<NotificationView> = {}): NotificationView {
  return {
    id: 1,
    kind: 'dingtalk',
    label: null,
    url: 'https://oapi.dingtalk.com/robot/send?access_token=***',
    hasSecret: true,
    chatId: null,
    events: [...NOTIFICATION_EVENTS],
    enabled: true,
    language: 'zh',
    createdAt: '2026-12-01T00:00:00.000Z',
    lastSentAt: null,
    lastError: null,
    lastErrorAt: null,
    ...overrides,
  }
}

function sampleTargets(): NotificationView[] {
  return [
    notificationView({ id: 1, lastSentAt: '2026-12-06T10:00:00.000Z' }),
    notificationView({
      id: 2,
      kind: 'telegram',
      label: 'ops chat',
      url: 'https://api.telegram.org',
      chatId: '-100200300',
      events: ['pool_exhausted', 'pool_exhausted_recovered'],
      language: 'en',
      enabled: false,
      lastError: {
        code: 'platform_error',
        params: { status: 400, platformCode: '400', detail: 'Bad Request: chat not found' },
      },
      lastErrorAt: '2026-12-06T11:00:00.000Z',
    }),
  ]
}

type Routes = Parameters<typeof mockFetch>[0]

/** The page against a server holding `targets`; extra routes answer the changes. */
async function renderPage(
  routes: Routes = {},
  { targets = sampleTargets(), language = 'zh' as Language } = {},
) {
  const server = mockFetch({
    [`GET ${LIST}`]: () => json({ notifications: targets }),
    ...routes,
  })
  renderSignedIn(<NotificationsPage />, { language })
  await screen.findByRole('table')
  return server
}

function rowOf(id: number): HTMLElement {
  const row = document.querySelector<HTMLElement>(`tr[data-notification-id="${id}"]`)
  if (!row) throw new Error(`no row for target ${id}`)
  return row
}

function sent(requests: readonly RecordedRequest[], method: string, path = LIST): unknown[] {
  return requests
    .filter((request) => request.method === method && request.url.pathname === path)
    .map((request) => request.body)
}

function addForm(): HTMLElement {
  return screen.getByRole('region', { name: '添加通知目标' })
}

async function chooseKind(kind: string) {
  await userEvent.selectOptions(within(addForm()).getByLabelText('类型'), kind)
}

describe('NotificationsPage', () => {
  it('lists each target with its kind, masked URL, events, language, state and deliveries', async () => {
    await renderPage()
    expect(screen.getByRole('heading', { level: 1, name: '通知' })).toBeTruthy()

    const dingtalk = rowOf(1)
    expect(within(dingtalk).getByText('钉钉')).toBeTruthy()
    expect(within(dingtalk).getByText('钉钉 #1')).toBeTruthy()
    // The server's masked URL, as it is.
    expect(
      within(dingtalk).getByText('https://oapi.dingtalk.com/robot/send?access_token=***').tagName,
    ).toBe('CODE')
    expect(within(dingtalk).getByText('已设密钥')).toBeTruthy()
    expect(within(dingtalk).getByText('全部事件（16）')).toBeTruthy()
    expect(within(dingtalk).getByText('中文')).toBeTruthy()
    expect(within(dingtalk).getByText('已启用')).toBeTruthy()
    expect(within(dingtalk).getByRole('button', { name: '停用“钉钉 #1”' })).toBeTruthy()

    const telegram = rowOf(2)
    expect(within(telegram).getByText('ops chat')).toBeTruthy()
    expect(within(telegram).getByText('聊天 -100200300')).toBeTruthy()
    expect(within(telegram).getByText('2 / 16 个事件')).toBeTruthy()
    expect(within(telegram).getByText('没有可用的密钥或出口')).toBeTruthy()
    expect(within(telegram).getByText('密钥池恢复服务')).toBeTruthy()
    expect(within(telegram).getByText('英文')).toBeTruthy()
    expect(within(telegram).getByText('已停用')).toBeTruthy()
    expect(telegram.textContent).toContain(
      '发送失败：平台拒绝了消息（HTTP 400，错误码 400）：Bad Request: chat not found',
    )
    expect(within(telegram).getByRole('button', { name: '启用“ops chat”' })).toBeTruthy()
  })

  it('words the list in English too', async () => {
    await renderPage({}, { language: 'en' })
    expect(within(rowOf(1)).getByText('DingTalk #1')).toBeTruthy()
    expect(within(rowOf(1)).getByText('All events (16)')).toBeTruthy()
    expect(rowOf(2).textContent).toContain(
      'Failed: the platform refused the message (HTTP 400, error 400): Bad Request: chat not found',
    )
  })

  it('adds a DingTalk robot with its signing secret and every event', async () => {
    const added = notificationView({ id: 3, label: 'on-call' })
    const { requests } = await renderPage({ [`POST ${LIST}`]: () => json(added, 201) })
    const form = addForm()
    const url = 'https://oapi.dingtalk.com/robot/send?access_token=abc123'
    await userEvent.type(within(form).getByLabelText('机器人地址'), url)
    const secret = within(form).getByLabelText('加签密钥（可选）') as HTMLInputElement
    expect(secret.type).toBe('password')
    await userEvent.type(secret, 'SECdeadbeef')
    await userEvent.type(within(form).getByLabelText('备注（可选）'), 'on-call')
    await userEvent.click(within(form).getByRole('button', { name: '添加' }))

    expect(await screen.findByText('on-call 已添加')).toBeTruthy()
    expect(sent(requests, 'POST')).toEqual([
      {
        kind: 'dingtalk',
        url,
        secret: 'SECdeadbeef',
        label: 'on-call',
        events: [...NOTIFICATION_EVENTS],
        language: 'zh',
      },
    ])
    // Once the server has them, the URL and the secret leave the form.
    expect((within(form).getByLabelText('机器人地址') as HTMLInputElement).value).toBe('')
    expect(secret.value).toBe('')
    expect(document.body.textContent).not.toContain('SECdeadbeef')
    expect(document.body.textContent).not.toContain('abc123')
  })

  it('sends only the fields of the chosen kind', async () => {
    const { requests } = await renderPage({
      [`POST ${LIST}`]: (request) =>
        json(notificationView({ id: 9, kind: (request.body as NotificationView).kind }), 201),
    })
    const form = addForm()

    await chooseKind('wecom')
    expect(within(form).queryByLabelText('加签密钥（可选）')).toBeNull()
    await userEvent.type(
      within(form).getByLabelText('机器人地址'),
      'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1',
    )
    await userEvent.click(within(form).getByLabelText('余额偏低'))
    await userEvent.click(within(form).getByLabelText('余额恢复'))
    await userEvent.selectOptions(within(form).getByLabelText('消息语言'), 'en')
    await userEvent.click(within(form).getByRole('button', { name: '添加' }))
    await screen.findByText('企业微信 #9 已添加')

    await chooseKind('telegram')
    expect(within(form).getByLabelText('Bot API 地址（可选）')).toBeTruthy()
    await userEvent.type(within(form).getByLabelText('机器人令牌（bot token）'), '123456:AAbbcc')
    await userEvent.type(within(form).getByLabelText('聊天 ID'), '@sfp_alerts')
    await userEvent.click(within(form).getByRole('button', { name: '添加' }))
    await screen.findByText('Telegram #9 已添加')

    await chooseKind('webhook')
    await userEvent.type(within(form).getByLabelText('接收地址'), 'http://127.0.0.1:9000/hook')
    await userEvent.click(within(form).getByRole('button', { name: '添加' }))
    await screen.findByText('通用 Webhook #9 已添加')

    expect(sent(requests, 'POST')).toEqual([
      {
        kind: 'wecom',
        url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1',
        events: NOTIFICATION_EVENTS.filter(
          (event) => event !== 'balance_low' && event !== 'balance_low_recovered',
        ),
        language: 'en',
      },
      {
        kind: 'telegram',
        secret: '123456:AAbbcc',
        chatId: '@sfp_alerts',
        events: [...NOTIFICATION_EVENTS],
        language: 'zh',
      },
      {
        kind: 'webhook',
        url: 'http://127.0.0.1:9000/hook',
        events: [...NOTIFICATION_EVENTS],
        language: 'zh',
      },
    ])
  })

  it('explains what is missing or wrong in Chinese and sends nothing', async () => {
    const { requests } = await renderPage()
    const form = addForm()
    await userEvent.click(within(form).getByRole('button', { name: '添加' }))
    expect(within(form).getByText('请填写地址。')).toBeTruthy()
    const url = within(form).getByLabelText('机器人地址')
    expect(url.getAttribute('aria-invalid')).toBe('true')
    expect(document.activeElement).toBe(url)

    await userEvent.type(url, 'oapi.dingtalk.com/robot/send')
    expect(within(form).getByText('应为 http:// 或 https:// 开头的完整地址。')).toBeTruthy()
    await userEvent.clear(url)
    await userEvent.type(url, 'https://oapi.dingtalk.com/robot/send?access_token=***')
    expect(within(form).getByText('这是打码后的地址（含 ***）：请填写完整地址。')).toBeTruthy()
    await userEvent.type(within(form).getByLabelText('加签密钥（可选）'), 'has space')
    expect(within(form).getByText('不能包含空格、“/”、“?” 或 “#”。')).toBeTruthy()
    await userEvent.click(within(form).getByRole('button', { name: '全不选' }))
    expect(within(form).getByText('至少订阅一个事件。')).toBeTruthy()

    await chooseKind('telegram')
    expect(within(form).getByText('请填写机器人令牌。')).toBeTruthy()
    expect(within(form).getByText('请填写聊天 ID。')).toBeTruthy()
    await userEvent.click(within(form).getByRole('button', { name: '添加' }))
    expect(sent(requests, 'POST')).toEqual([])
  })

  it('shows the server’s 400 field rules by the form’s field names', async () => {
    await renderPage({
      [`POST ${LIST}`]: () =>
        json(
          {
            error: {
              message: 'Invalid body',
              type: 'invalid_request_error',
              code: 'validation_error',
              fields: [
                {
                  field: 'chatId',
                  reason: 'must be at most 100 characters',
                  rule: { kind: 'too_big', maximum: 100, origin: 'string' },
                },
              ],
            },
          },
          400,
        ),
    })
    const form = addForm()
    await chooseKind('telegram')
    await userEvent.type(within(form).getByLabelText('机器人令牌（bot token）'), '1:A')
    await userEvent.type(within(form).getByLabelText('聊天 ID'), '42')
    await userEvent.click(within(form).getByRole('button', { name: '添加' }))
    const alert = await within(form).findByRole('alert')
    expect(alert.textContent).toContain('输入有误：')
    expect(alert.textContent).toContain('聊天 ID：最多 100 个字符')
  })

  it('sends a test and shows delivery, then a failure worded in the page language', async () => {
    const answers: NotificationTestResult[] = [
      { ok: true, status: 200, error: null },
      {
        ok: false,
        status: 200,
        error: {
          code: 'platform_error',
          params: { status: 200, platformCode: '310000', detail: 'sign not match' },
        },
      },
      {
        ok: false,
        status: null,
        error: { code: 'network_error', params: { errorCode: 'ECONNREFUSED' } },
      },
    ]
    const { requests } = await renderPage({
      [`POST ${LIST}/1/test`]: () => json(answers.shift()),
    })
    const row = rowOf(1)
    const test = within(row).getByRole('button', { name: '向“钉钉 #1”发送测试消息' })
    expect(test.textContent).toBe('发送测试')

    await userEvent.click(test)
    expect(await within(row).findByText('测试消息已送达（HTTP 200）')).toBeTruthy()
    await userEvent.click(test)
    expect(
      await within(row).findByText(
        '测试失败：平台拒绝了消息（HTTP 200，错误码 310000）：sign not match',
      ),
    ).toBeTruthy()
    expect(within(row).queryByText('测试消息已送达（HTTP 200）')).toBeNull()
    await userEvent.click(test)
    expect(
      await within(row).findByText('测试失败：网络错误（ECONNREFUSED）：无法连接接收方'),
    ).toBeTruthy()
    expect(sent(requests, 'POST', `${LIST}/1/test`)).toHaveLength(3)
  })

  it('words a test failure in English', async () => {
    await renderPage(
      {
        [`POST ${LIST}/1/test`]: () =>
          json({
            ok: false,
            status: null,
            error: { code: 'timeout', params: { timeoutMs: 10000 } },
          }),
      },
      { language: 'en' },
    )
    await userEvent.click(
      within(rowOf(1)).getByRole('button', { name: 'Send a test message to “DingTalk #1”' }),
    )
    expect(await within(rowOf(1)).findByText(/^Test failed: no answer within /)).toBeTruthy()
  })

  it('asks before deleting, and deletes only once confirmed', async () => {
    const targets = sampleTargets()
    const server = mockFetch({
      [`GET ${LIST}`]: () => json({ notifications: targets }),
      [`DELETE ${LIST}/2`]: () => {
        targets.splice(1, 1)
        return new Response(null, { status: 204 })
      },
    })
    renderSignedIn(<NotificationsPage />)
    await screen.findByRole('table')

    await userEvent.click(within(rowOf(2)).getByRole('button', { name: '删除“ops chat”' }))
    let dialog = screen.getByRole('dialog', { name: '删除“ops chat”？' })
    expect(dialog.textContent).toContain('此操作无法撤销')
    await userEvent.click(within(dialog).getByRole('button', { name: '取消' }))
    expect(screen.queryByRole('dialog')).toBeNull()
    expect(sent(server.requests, 'DELETE', `${LIST}/2`)).toHaveLength(0)

    await userEvent.click(within(rowOf(2)).getByRole('button', { name: '删除“ops chat”' }))
    dialog = screen.getByRole('dialog', { name: '删除“ops chat”？' })
    await userEvent.click(within(dialog).getByRole('button', { name: '删除' }))
    expect(await screen.findByText('ops chat 已删除')).toBeTruthy()
    expect(sent(server.requests, 'DELETE', `${LIST}/2`)).toHaveLength(1)
    await waitFor(() => expect(document.querySelector('tr[data-notification-id="2"]')).toBeNull())
  })

  it('disables a target with PATCH {enabled}', async () => {
    const { requests } = await renderPage({
      [`PATCH ${LIST}/1`]: () => json(notificationView({ enabled: false })),
    })
    await userEvent.click(within(rowOf(1)).getByRole('button', { name: '停用“钉钉 #1”' }))
    expect(await screen.findByText('钉钉 #1 已停用')).toBeTruthy()
    expect(sent(requests, 'PATCH', `${LIST}/1`)).toEqual([{ enabled: false }])
  })

  it('edits without prefilling the URL or the secret, and sends only what changed', async () => {
    const { requests } = await renderPage({
      [`PATCH ${LIST}/1`]: () => json(notificationView({ label: 'night' })),
    })
    await userEvent.click(within(rowOf(1)).getByRole('button', { name: '编辑“钉钉 #1”' }))
    const dialog = screen.getByRole('dialog', { name: '编辑“钉钉 #1”' })
    const url = within(dialog).getByLabelText('机器人地址') as HTMLInputElement
    const secret = within(dialog).getByLabelText('加签密钥（可选）') as HTMLInputElement
    expect(url.value).toBe('')
    expect(secret.value).toBe('')
    expect(dialog.textContent).toContain('留空则保持原地址不变。')
    expect(dialog.textContent).toContain('已保存一个密钥；留空则保持不变。')
    expect(within(dialog).queryByLabelText('类型')).toBeNull()
    // Nothing changed yet: nothing to save.
    expect(within(dialog).getByRole('button', { name: '保存' })).toHaveProperty('disabled', true)

    await userEvent.type(within(dialog).getByLabelText('备注（可选）'), 'night')
    await userEvent.click(within(dialog).getByLabelText('出口不通'))
    await userEvent.click(within(dialog).getByRole('button', { name: '保存' }))
    expect(await screen.findByText('钉钉 #1 已保存')).toBeTruthy()
    expect(sent(requests, 'PATCH', `${LIST}/1`)).toEqual([
      {
        label: 'night',
        events: NOTIFICATION_EVENTS.filter((event) => event !== 'egress_down'),
      },
    ])
    expect(screen.queryByRole('dialog')).toBeNull()
  })

  it('replaces the URL or removes the secret in an edit', async () => {
    const { requests } = await renderPage({
      [`PATCH ${LIST}/1`]: () => json(notificationView({ hasSecret: false })),
    })
    await userEvent.click(within(rowOf(1)).getByRole('button', { name: '编辑“钉钉 #1”' }))
    const dialog = screen.getByRole('dialog', { name: '编辑“钉钉 #1”' })
    const newUrl = 'https://oapi.dingtalk.com/robot/send?access_token=new'
    await userEvent.type(within(dialog).getByLabelText('机器人地址'), newUrl)
    await userEvent.click(within(dialog).getByLabelText('删除已保存的密钥'))
    expect(within(dialog).getByLabelText('加签密钥（可选）')).toHaveProperty('disabled', true)
    await userEvent.click(within(dialog).getByRole('button', { name: '保存' }))
    await screen.findByText('钉钉 #1 已保存')
    expect(sent(requests, 'PATCH', `${LIST}/1`)).toEqual([{ url: newUrl, secret: null }])
  })

  it('says so when there are no targets', async () => {
    mockFetch({ [`GET ${LIST}`]: () => json({ notifications: [] }) })
    renderSignedIn(<NotificationsPage />)
    expect(await screen.findByText('还没有通知目标：出了问题也不会有人知道。')).toBeTruthy()
  })
})
