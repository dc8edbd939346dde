import type { NotificationEvent, NotificationLanguage } from '@sfp/schemas'
import type { ComposedMessage, ConditionFacts, Notice, Severity } from './types.js'

type Words = { zh: string; en: string }
type Facts<Event extends keyof ConditionFacts> = ConditionFacts[Event]

/** China Standard Time for Chinese readers (the product's home), UTC for English ones. */
export function formatTime(ms: number, language: NotificationLanguage): string {
  if (language === 'zh') {
    return `${new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ')}（北京时间）`
  }
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`
}

const minutes = (ms: number) => Math.max(1, Math.round(ms / 60_000))

interface Entry {
  severity: Severity
  title: Words
  /** The sentence, from the subject and the facts the raise carried (none for recoveries). */
  message(subject: string, facts: Record<string, unknown>): Words
}

const recovered = (zhTitle: string, enTitle: string, zh: string, en: string): Entry => ({
  severity: 'info',
  title: { zh: zhTitle, en: enTitle },
  message: (subject) => ({ zh: zh.replace('{s}', subject), en: en.replace('{s}', subject) }),
})

/**
 * Every message the notifier sends, in both languages. Subjects come from the caller already
 * masked (a key as `sk-ab…yz`); facts are numbers, times and upstream's short words.
 */
const CATALOG: Record<NotificationEvent | 'test', Entry> = {
  key_invalid: {
    severity: 'warning',
    title: { zh: '密钥失效', en: 'Key invalid' },
    message: (s, facts) => {
      const { detail } = facts as Facts<'key_invalid'>
      return {
        zh: `密钥 ${s} 已失效（上游拒绝了它），不再使用。${detail ? `原因：${detail}` : ''}`,
        en: `Key ${s} is invalid (upstream rejected it) and is no longer used.${detail ? ` Reason: ${detail}` : ''}`,
      }
    },
  },
  key_invalid_recovered: recovered(
    '密钥恢复',
    'Key back',
    '密钥 {s} 重新可用。',
    'Key {s} works again.',
  ),
  key_insufficient: {
    severity: 'warning',
    title: { zh: '密钥欠费', en: 'Key out of balance' },
    message: (s, facts) => {
      const { balance } = facts as Facts<'key_insufficient'>
      const known = typeof balance === 'number'
      return {
        zh: `密钥 ${s} 余额不足${known ? `（余额 ${balance}）` : ''}，不再使用，请充值。`,
        en: `Key ${s} has insufficient balance${known ? ` (${balance})` : ''} and is no longer used; top it up.`,
      }
    },
  },
  key_insufficient_recovered: recovered(
    '密钥余额恢复',
    'Key balance back',
    '密钥 {s} 余额已恢复，重新使用。',
    'Key {s} has balance again and is back in use.',
  ),
  key_error: {
    severity: 'warning',
    title: { zh: '密钥出错', en: 'Key failing' },
    message: (s, facts) => {
      const { detail } = facts as Facts<'key_error'>
      return {
        zh: `密钥 ${s} 连续出错，暂停使用。${detail ? `最后一次：${detail}` : ''}`,
        en: `Key ${s} keeps failing and is paused.${detail ? ` Last: ${detail}` : ''}`,
      }
    },
  },
  key_error_recovered: recovered(
    '密钥恢复',
    'Key back',
    '密钥 {s} 已恢复正常。',
    'Key {s} is working again.',
  ),
  balance_low: {
    severity: 'warning',
    title: { zh: '余额偏低', en: 'Balance low' },
    message: (s, facts) => {
      const { balance, threshold, estimated } = facts as Facts<'balance_low'>
      const zhAmount = balance === undefined ? '' : ` ${balance} `
      const enAmount = balance === undefined ? '' : ` (${balance})`
      const zhLimit = threshold === undefined ? '阈值' : `阈值 ${threshold}`
      const enLimit = threshold === undefined ? 'the threshold' : `the threshold of ${threshold}`
      return {
        zh: `密钥 ${s} 的${estimated ? '估算' : ''}余额${zhAmount}低于${zhLimit}。`,
        en: `Key ${s} has ${estimated ? 'an estimated ' : 'a '}balance${enAmount} below ${enLimit}.`,
      }
    },
  },
  balance_low_recovered: recovered(
    '余额恢复',
    'Balance back',
    '密钥 {s} 的余额已回到阈值以上。',
    'Key {s} is above the balance threshold again.',
  ),
  egress_blocked: {
    severity: 'warning',
    title: { zh: '出口 IP 被封', en: 'Egress blocked' },
    message: (s, facts) => {
      const { until } = facts as Facts<'egress_blocked'>
      const known = typeof until === 'number'
      return {
        zh: `出口 ${s} 的 IP 被上游封禁${known ? `，预计 ${formatTime(until, 'zh')}解封` : ''}。`,
        en: `Upstream blocked the IP of egress ${s}${known ? ` until ${formatTime(until, 'en')}` : ''}.`,
      }
    },
  },
  egress_blocked_recovered: recovered(
    '出口解封',
    'Egress unblocked',
    '出口 {s} 已解封，恢复使用。',
    'Egress {s} is unblocked and back in use.',
  ),
  egress_down: {
    severity: 'warning',
    title: { zh: '出口不通', en: 'Egress down' },
    message: (s, facts) => {
      const { detail } = facts as Facts<'egress_down'>
      return {
        zh: `出口 ${s} 连不上${detail ? `（${detail}）` : ''}，正在重试。`,
        en: `Egress ${s} is down${detail ? ` (${detail})` : ''}; retrying.`,
      }
    },
  },
  egress_down_recovered: recovered(
    '出口恢复',
    'Egress up',
    '出口 {s} 已恢复连通。',
    'Egress {s} is up again.',
  ),
  pool_exhausted: {
    severity: 'critical',
    title: { zh: '没有可用的密钥或出口', en: 'No usable key or egress' },
    message: (_s, facts) => {
      const { nextAt } = facts as Facts<'pool_exhausted'>
      const known = typeof nextAt === 'number'
      return {
        zh: `现在没有可用的密钥或出口，请求无法转发${known ? `；最早 ${formatTime(nextAt, 'zh')} 恢复` : ''}。`,
        en: `No key or egress is usable: requests cannot be relayed${known ? `; the earliest is back at ${formatTime(nextAt, 'en')}` : ''}.`,
      }
    },
  },
  pool_exhausted_recovered: recovered(
    '恢复转发',
    'Relaying again',
    '已有可用的密钥和出口，恢复转发请求。',
    'A usable key and egress are back; requests are relayed again.',
  ),
  queue_full: {
    severity: 'critical',
    title: { zh: '请求队列已满', en: 'Queue full' },
    message: (_s, facts) => {
      const { waiting, forMs } = facts as Facts<'queue_full'>
      const zhFor = forMs === undefined ? '' : `超过 ${minutes(forMs)} 分钟`
      const enFor = forMs === undefined ? '' : ` for over ${minutes(forMs)} min`
      const zhWaiting = waiting === undefined ? '' : `（${waiting} 个请求在等待）`
      const enWaiting = waiting === undefined ? '' : ` (${waiting} requests waiting)`
      return {
        zh: `请求队列已满${zhFor}${zhWaiting}，新请求被拒绝。`,
        en: `The request queue has been full${enFor}${enWaiting}; new requests are refused.`,
      }
    },
  },
  queue_full_recovered: recovered(
    '队列恢复',
    'Queue has room',
    '请求队列已恢复正常。',
    'The request queue has room again.',
  ),
  test: {
    severity: 'info',
    title: { zh: '测试消息', en: 'Test message' },
    message: () => ({
      zh: '这是一条来自 SiliconFlow Proxy 的测试消息，收到即说明这个通知目标配置正确。',
      en: 'This is a test message from SiliconFlow Proxy: this notification target works.',
    }),
  },
}

/** The notice in the reader's language. */
export function composeMessage(notice: Notice, language: NotificationLanguage): ComposedMessage {
  const entry = CATALOG[notice.event]
  return {
    event: notice.event,
    severity: entry.severity,
    subject: notice.subject,
    title: entry.title[language],
    message: entry.message(notice.subject, notice.facts)[language],
    time: notice.time,
    language,
  }
}

/**
 * The text a chat robot shows: a fixed first word (DingTalk and Feishu robots with keyword
 * security need one: set the keyword to `SiliconFlow Proxy`), the headline, the sentence, the time.
 */
export function chatText(message: ComposedMessage): string {
  const { language } = message
  const head =
    language === 'zh'
      ? `【SiliconFlow Proxy】${message.title}`
      : `[SiliconFlow Proxy] ${message.title}`
  return `${head}\n${message.message}\n${formatTime(message.time, language)}`
}
