import { NOTIFICATION_EVENTS } from '@sfp/schemas'
import { START } from '@sfp/test-support'
import { describe, expect, it } from 'vitest'
import { chatText, composeMessage, formatTime } from '../src/index.js'

const HOUR = 3_600_000

describe('the message catalog', () => {
  it.each([...NOTIFICATION_EVENTS, 'test' as const])('%s reads in both languages', (event) => {
    const notice = { event, subject: 'sk-ab…yz', facts: {}, time: START }
    for (const language of ['zh', 'en'] as const) {
      const message = composeMessage(notice, language)
      expect(message.title.length).toBeGreaterThan(0)
      expect(message.message.length).toBeGreaterThan(0)
      expect(`${message.title} ${message.message}`).not.toMatch(/undefined|null|NaN|\{s\}/)
    }
    expect(composeMessage(notice, 'zh').message).not.toBe(composeMessage(notice, 'en').message)
  })

  it('severities: losing keys or egresses warns, nothing left to serve is critical', () => {
    const severity = (event: (typeof NOTIFICATION_EVENTS)[number]) =>
      composeMessage({ event, subject: 's', facts: {}, time: START }, 'zh').severity
    expect(severity('key_invalid')).toBe('warning')
    expect(severity('egress_blocked')).toBe('warning')
    expect(severity('pool_exhausted')).toBe('critical')
    expect(severity('queue_full')).toBe('critical')
    expect(severity('queue_full_recovered')).toBe('info')
  })

  it('words the facts a raise carries', () => {
    const compose = (event: 'balance_low' | 'egress_blocked' | 'queue_full', facts: object) =>
      (['zh', 'en'] as const).map(
        (language) =>
          composeMessage({ event, subject: 'sk-ab…yz', facts: { ...facts }, time: START }, language)
            .message,
      )
    expect(compose('balance_low', { balance: 0.42, threshold: 1, estimated: true })).toEqual([
      '密钥 sk-ab…yz 的估算余额 0.42 低于阈值 1。',
      'Key sk-ab…yz has an estimated balance (0.42) below the threshold of 1.',
    ])
    expect(compose('egress_blocked', { until: START + HOUR })).toEqual([
      '出口 sk-ab…yz 的 IP 被上游封禁，预计 2026-01-01 21:00:00（北京时间）解封。',
      'Upstream blocked the IP of egress sk-ab…yz until 2026-01-01 13:00:00 UTC.',
    ])
    expect(compose('queue_full', { waiting: 30, forMs: 65_000 })).toEqual([
      '请求队列已满超过 1 分钟（30 个请求在等待），新请求被拒绝。',
      'The request queue has been full for over 1 min (30 requests waiting); new requests are refused.',
    ])
  })

  it('a chat text starts with the fixed keyword and ends with the time', () => {
    const message = composeMessage({ event: 'test', subject: 'test', facts: {}, time: START }, 'en')
    expect(chatText(message).split('\n')).toEqual([
      '[SiliconFlow Proxy] Test message',
      'This is a test message from SiliconFlow Proxy: this notification target works.',
      formatTime(START, 'en'),
    ])
    expect(formatTime(START, 'zh')).toBe('2026-01-01 20:00:00（北京时间）')
  })
})
