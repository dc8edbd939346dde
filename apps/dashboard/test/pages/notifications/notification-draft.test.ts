import { NOTIFICATION_EVENTS, type NotificationView } from '@sfp/schemas'
import { describe, expect, it } from 'vitest'
import { translate } from '../../../src/i18n/catalog.js'
import { createFormatters } from '../../../src/i18n/format.js'
import {
  createBody,
  draftOf,
  draftProblems,
  emptyDraft,
  patchBody,
} from '../../../src/pages/notifications/notification-draft.js'
import { failureText } from '../../../src/pages/notifications/notification-words.js'

const telegram: NotificationView = {
  id: 4,
  kind: 'telegram',
  label: 'ops',
  url: 'https://api.telegram.org',
  hasSecret: true,
  chatId: '-1001',
  events: [...NOTIFICATION_EVENTS],
  enabled: true,
  language: 'zh',
  createdAt: '2026-12-01T00:00:00.000Z',
  lastSentAt: null,
  lastError: null,
  lastErrorAt: null,
}

describe('notification drafts', () => {
  it('keeps the stored URL and token when an edit leaves them empty', () => {
    const draft = draftOf(telegram)
    expect(draft.url).toBe('')
    expect(draft.secret).toBe('')
    expect(draft.chatId).toBe('-1001')
    expect(draftProblems(draft, true)).toEqual({})
    expect(patchBody(draft, telegram)).toEqual({})
  })

  it('still needs a chat id in an edit, and never removes a Telegram token', () => {
    const draft = { ...draftOf(telegram), chatId: ' ', removeSecret: true }
    expect(draftProblems(draft, true)).toEqual({
      chatId: { key: 'notifications.problem.chatIdRequired' },
    })
    expect(patchBody({ ...draft, chatId: '@alerts', secret: ' 9:new ' }, telegram)).toEqual({
      chatId: '@alerts',
      secret: '9:new',
    })
  })

  it('clears a label with null and sends events in catalog order', () => {
    const draft = {
      ...draftOf(telegram),
      label: '  ',
      events: ['queue_full_recovered', 'key_invalid'] as const,
      language: 'en' as const,
    }
    expect(patchBody(draft, telegram)).toEqual({
      label: null,
      events: ['key_invalid', 'queue_full_recovered'],
      language: 'en',
    })
  })

  it('names another Bot API server only when one is given', () => {
    const draft = { ...emptyDraft('telegram'), secret: '1:A', chatId: '5' }
    expect(createBody(draft)).not.toHaveProperty('url')
    expect(createBody({ ...draft, url: ' http://127.0.0.1:8081 ' })).toMatchObject({
      url: 'http://127.0.0.1:8081',
    })
  })

  it('refuses a URL that is too long or not http(s)', () => {
    const long = `https://example.com/${'a'.repeat(2048)}`
    expect(draftProblems({ ...emptyDraft('webhook'), url: long }, false).url).toEqual({
      key: 'notifications.problem.tooLong',
      values: { max: 2048 },
    })
    expect(draftProblems({ ...emptyDraft('webhook'), url: 'ftp://host/x' }, false).url).toEqual({
      key: 'notifications.problem.urlInvalid',
    })
  })
})

describe('failureText', () => {
  const t =
    (language: 'zh' | 'en') =>
    (key: Parameters<typeof translate>[1], values?: Record<string, string | number>) =>
      translate(language, key, values)

  it('words every failure code in Chinese', () => {
    const zh = t('zh')
    const format = createFormatters('zh')
    expect(failureText(zh, format, { code: 'http_status', params: { status: 404 } })).toBe(
      '接收方返回 HTTP 404',
    )
    expect(
      failureText(zh, format, {
        code: 'platform_error',
        params: { status: 200, platformCode: null, detail: null },
      }),
    ).toBe('平台拒绝了消息（HTTP 200）')
    expect(
      failureText(zh, format, { code: 'unreadable_answer', params: { status: 200 } }),
    ).toContain('没有平台的结果')
    expect(failureText(zh, format, { code: 'timeout', params: { timeoutMs: 10_000 } })).toBe(
      `${format.duration(10_000)} 内没有应答`,
    )
    expect(
      failureText(zh, format, { code: 'network_error', params: { errorCode: 'ENOTFOUND' } }),
    ).toBe('网络错误（ENOTFOUND）：无法连接接收方')
    expect(failureText(zh, format, { code: 'closed', params: {} })).toBe('服务器在消息发出前关闭了')
  })

  it('words them in English', () => {
    expect(
      failureText(t('en'), createFormatters('en'), {
        code: 'http_status',
        params: { status: 500 },
      }),
    ).toBe('the receiver answered HTTP 500')
  })
})
