import { describe, expect, it } from 'vitest'
import { describeIssues } from '../src/errors.js'
import {
  createNotificationBodySchema,
  maskNotificationUrl,
  NOTIFICATION_EVENTS,
  type NotificationTargetFields,
  notificationViewSchema,
  patchNotificationBodySchema,
  patchNotificationTarget,
  TELEGRAM_API_BASE,
} from '../src/notifications.js'

/** The `{ field, rule kind }` of every issue of a refused body. */
function refusal(result: {
  success: boolean
  error?: { issues: Parameters<typeof describeIssues>[0] }
}) {
  expect(result.success).toBe(false)
  return describeIssues(result.error?.issues ?? [], 'body').fields.map(({ field, rule }) => ({
    field,
    rule: rule?.kind,
  }))
}

const DINGTALK = 'https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef0123'

describe('NOTIFICATION_EVENTS', () => {
  it('holds each condition and its recovery, once', () => {
    expect(NOTIFICATION_EVENTS).toHaveLength(16)
    expect(new Set(NOTIFICATION_EVENTS).size).toBe(16)
    expect(NOTIFICATION_EVENTS.slice(0, 4)).toEqual([
      'key_invalid',
      'key_invalid_recovered',
      'key_insufficient',
      'key_insufficient_recovered',
    ])
    expect(NOTIFICATION_EVENTS).toContain('queue_full_recovered')
  })
})

describe('createNotificationBodySchema', () => {
  it('fills the defaults: every event, enabled, Chinese, no secret', () => {
    expect(createNotificationBodySchema.parse({ kind: 'dingtalk', url: DINGTALK })).toEqual({
      kind: 'dingtalk',
      label: null,
      url: DINGTALK,
      secret: null,
      chatId: null,
      events: NOTIFICATION_EVENTS,
      enabled: true,
      language: 'zh',
    })
  })

  it('takes each kind with its own fields; Telegram defaults to the public Bot API', () => {
    const parse = (body: object) => createNotificationBodySchema.safeParse(body)
    expect(parse({ kind: 'webhook', url: 'http://127.0.0.1:9/x', secret: 's' }).success).toBe(true)
    expect(
      parse({ kind: 'feishu', url: 'https://open.feishu.cn/open-apis/bot/v2/hook/x', secret: 's' })
        .success,
    ).toBe(true)
    expect(
      parse({ kind: 'wecom', url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k' })
        .success,
    ).toBe(true)
    expect(parse({ kind: 'telegram', secret: '123:abc', chatId: ' -100 ' }).data).toMatchObject({
      url: TELEGRAM_API_BASE,
      secret: '123:abc',
      chatId: '-100',
    })
  })

  it('keeps the events subscribed once each, in catalog order', () => {
    const body = createNotificationBodySchema.parse({
      kind: 'webhook',
      url: 'https://example.com/h',
      events: ['queue_full', 'key_invalid', 'queue_full'],
      language: 'en',
    })
    expect(body).toMatchObject({ events: ['key_invalid', 'queue_full'], language: 'en' })
  })

  it.each([
    [
      'an unknown kind, on kind alone',
      { kind: 'slack', url: 'https://x.example' },
      [{ field: 'body.kind', rule: 'invalid_value' }],
    ],
    [
      'a URL that is not http(s)',
      { kind: 'webhook', url: 'ftp://x.example/h' },
      [{ field: 'body.url', rule: 'invalid_format' }],
    ],
    [
      'the masked URL sent back',
      { kind: 'dingtalk', url: 'https://oapi.dingtalk.com/robot/send?access_token=***' },
      [{ field: 'body.url', rule: 'invalid_format' }],
    ],
    [
      'a secret on a WeCom robot',
      { kind: 'wecom', url: 'https://q.example/send?key=k', secret: 's' },
      [{ field: 'body', rule: 'unrecognized_keys' }],
    ],
    [
      'a chat id on a webhook',
      { kind: 'webhook', url: 'https://x.example', chatId: '1' },
      [{ field: 'body', rule: 'unrecognized_keys' }],
    ],
    [
      'a Telegram bot without its chat',
      { kind: 'telegram', secret: '1:a' },
      [{ field: 'body.chatId', rule: 'invalid_type' }],
    ],
    [
      'a Telegram bot without its token',
      { kind: 'telegram', chatId: '1' },
      [{ field: 'body.secret', rule: 'invalid_type' }],
    ],
    [
      'a token that would change the URL path',
      { kind: 'telegram', secret: '1:a/../x', chatId: '1' },
      [{ field: 'body.secret', rule: 'invalid_format' }],
    ],
    [
      'no event',
      { kind: 'webhook', url: 'https://x.example', events: [] },
      [{ field: 'body.events', rule: 'too_small' }],
    ],
    [
      'an unknown event',
      { kind: 'webhook', url: 'https://x.example', events: ['key_gone'] },
      [{ field: 'body.events.0', rule: 'invalid_value' }],
    ],
  ])('refuses %s, naming the field', (_name, body, expected) => {
    expect(refusal(createNotificationBodySchema.safeParse(body))).toEqual(expected)
  })
})

describe('patching a target', () => {
  const telegram: NotificationTargetFields = {
    kind: 'telegram',
    label: 'ops',
    url: TELEGRAM_API_BASE,
    secret: '123:abc',
    chatId: '42',
    events: ['key_invalid'],
    enabled: true,
    language: 'zh',
  }
  const webhook: NotificationTargetFields = {
    ...telegram,
    kind: 'webhook',
    url: 'https://x.example/h',
    chatId: null,
  }

  it('needs at least one field (rule one_of)', () => {
    expect(refusal(patchNotificationBodySchema.safeParse({}))).toEqual([
      { field: 'body', rule: 'one_of' },
    ])
    // The kind is not patchable: refused as unknown (and the body still names nothing).
    expect(refusal(patchNotificationBodySchema.safeParse({ kind: 'wecom' }))).toEqual([
      { field: 'body', rule: 'unrecognized_keys' },
      { field: 'body', rule: 'one_of' },
    ])
  })

  it('keeps absent fields, replaces given ones, removes a secret given as null', () => {
    const patch = patchNotificationBodySchema.parse({ secret: null, enabled: false, label: null })
    expect(patchNotificationTarget(webhook, patch).data).toEqual({
      ...webhook,
      label: null,
      secret: null,
      enabled: false,
    })
  })

  it('checks the merged target under its kind', () => {
    const noToken = patchNotificationBodySchema.parse({ secret: null })
    expect(refusal(patchNotificationTarget(telegram, noToken))).toEqual([
      { field: 'body.secret', rule: 'invalid_type' },
    ])
    const chatOnWebhook = patchNotificationBodySchema.parse({ chatId: '7' })
    expect(refusal(patchNotificationTarget(webhook, chatOnWebhook))).toEqual([
      { field: 'body', rule: 'unrecognized_keys' },
    ])
  })
})

describe('maskNotificationUrl', () => {
  it.each([
    [DINGTALK, 'https://oapi.dingtalk.com/robot/send?access_token=***'],
    [
      'https://open.feishu.cn/open-apis/bot/v2/hook/1a2b3c4d-aaaa-bbbb-cccc-1234567890ab',
      'https://open.feishu.cn/open-apis/bot/v2/hook/***',
    ],
    [
      'https://open.larksuite.com/open-apis/bot/v2/hook/short',
      'https://open.larksuite.com/open-apis/bot/v2/hook/***',
    ],
    [
      'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa',
      'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***',
    ],
    ['https://api.telegram.org/bot123456:ABC-def/', 'https://api.telegram.org/bot***/'],
    [
      'https://user:pass@hooks.example.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX?a=1&b=2',
      'https://***@hooks.example.com/services/T000/B000/***?a=***&b=***',
    ],
    ['http://127.0.0.1:8080/hook', 'http://127.0.0.1:8080/hook'],
    ['not a url', '***'],
  ])('%s -> %s', (url, masked) => {
    expect(maskNotificationUrl(url)).toBe(masked)
  })
})

describe('notificationViewSchema', () => {
  it('has no field for a secret', () => {
    expect(Object.keys(notificationViewSchema.shape)).not.toContain('secret')
    expect(Object.keys(notificationViewSchema.shape)).toContain('hasSecret')
  })
})
