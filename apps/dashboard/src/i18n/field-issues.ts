import {
  EGRESS_URL_MAX,
  type EgressUrlProblemCode,
  type FieldIssue,
  type FieldRule,
} from '@sfp/schemas'
import { type MessageKey, translate } from './catalog.js'
import type { Language } from './language.js'
import type { Message } from './messages/message.js'

/**
 * The admin API's field names in words. The server names a field by its place (`body.label`,
 * `query.limit`, `body.ids.3`); the last name decides. A name not listed is shown as it is.
 */
export const FIELD_LABELS: Readonly<Record<string, Message>> = {
  api_key: { zh: '密钥', en: 'key' },
  api_keys: { zh: '密钥列表', en: 'key list' },
  label: { zh: '备注', en: 'label' },
  enabled: { zh: '启用', en: 'enabled' },
  reason: { zh: '原因', en: 'reason' },
  balance: { zh: '余额', en: 'balance' },
  action: { zh: '操作', en: 'action' },
  ids: { zh: '编号列表', en: 'ids' },
  id: { zh: '编号', en: 'id' },
  name: { zh: '名称', en: 'name' },
  url: { zh: '地址', en: 'URL' },
  localAddress: { zh: '本机源地址', en: 'local address' },
  currentPassword: { zh: '当前密码', en: 'current password' },
  newPassword: { zh: '新密码', en: 'new password' },
  status: { zh: '状态', en: 'status' },
  limit: { zh: '条数', en: 'limit' },
  offset: { zh: '偏移', en: 'offset' },
  cursor: { zh: '分页位置', en: 'cursor' },
  keyId: { zh: '上游密钥 ID', en: 'upstream key id' },
  egressId: { zh: '出口 ID', en: 'egress id' },
  model: { zh: '模型', en: 'model' },
  from: { zh: '开始时间', en: 'from' },
  to: { zh: '结束时间', en: 'to' },
  bucket: { zh: '时间粒度', en: 'bucket' },
  groupBy: { zh: '分组', en: 'group by' },
  type: { zh: '类型', en: 'type' },
  body: { zh: '请求体', en: 'body' },
  // Client key limits (docs/behaviour.md §12).
  models: { zh: '允许的模型', en: 'allowed models' },
  expiresAt: { zh: '到期时间', en: 'expiry' },
  rpm: { zh: '每分钟请求数', en: 'requests per minute' },
  dailyRequests: { zh: '每日请求数', en: 'requests per day' },
  dailyTokens: { zh: '每日 token 数', en: 'tokens per day' },
  monthlySpendCny: { zh: '每月花费上限（元）', en: 'monthly spend cap (CNY)' },
  allowedIps: { zh: '允许的客户端 IP', en: 'allowed client IPs' },
  note: { zh: '说明', en: 'note' },
}

/** The words for a field place such as `body.ids.3` (`编号列表 第 4 项`). */
export function fieldLabel(language: Language, field: string): string {
  const parts = field.split('.').filter((part) => !['body', 'query', 'params'].includes(part))
  const index = parts.at(-1) !== undefined && /^\d+$/.test(parts.at(-1) ?? '') ? parts.pop() : null
  const name = parts.at(-1) ?? (field.startsWith('body') ? 'body' : field)
  const words = FIELD_LABELS[name]?.[language] ?? name
  if (index === null || index === undefined) return words
  const position = Number(index) + 1
  return language === 'zh' ? `${words} 第 ${position} 项` : `${words}, item ${position}`
}

const EXPECTED: Readonly<Record<string, Message>> = {
  string: { zh: '文本', en: 'text' },
  number: { zh: '数字', en: 'a number' },
  int: { zh: '整数', en: 'an integer' },
  boolean: { zh: '是或否（true / false）', en: 'true or false' },
  object: { zh: '对象', en: 'an object' },
  array: { zh: '列表', en: 'a list' },
}

const UNITS: Readonly<Record<string, Message>> = {
  string: { zh: '个字符', en: 'characters' },
  array: { zh: '项', en: 'items' },
  set: { zh: '项', en: 'items' },
}

function bound(language: Language, atLeast: boolean, amount: number, origin: string): string {
  const unit = UNITS[origin]
  if (unit === undefined) {
    if (language === 'zh') return atLeast ? `不能小于 ${amount}` : `不能大于 ${amount}`
    return atLeast ? `must be at least ${amount}` : `must be at most ${amount}`
  }
  if (language === 'zh') return `${atLeast ? '至少' : '最多'} ${amount} ${unit.zh}`
  return `${atLeast ? 'at least' : 'at most'} ${amount} ${unit.en}`
}

/** What is wrong with an egress URL: the words the add form shows for the same problem. */
const EGRESS_URL_PROBLEMS: Readonly<Record<EgressUrlProblemCode, MessageKey>> = {
  empty: 'egresses.problem.empty',
  too_long: 'egresses.problem.tooLong',
  spaces: 'egresses.problem.spaces',
  not_url: 'egresses.problem.notUrl',
  scheme: 'egresses.problem.scheme',
  shape: 'egresses.problem.shape',
  port: 'egresses.problem.port',
  host: 'egresses.problem.host',
  encoding: 'egresses.problem.encoding',
  user_empty: 'egresses.problem.userEmpty',
  credentials_long: 'egresses.problem.credentialsLong',
}

function oneOf(language: Language, fields: readonly string[]): string {
  const names = fields.map((field) => fieldLabel(language, field))
  const last = names.at(-1) ?? ''
  const rest = names.slice(0, -1)
  if (rest.length === 0) return language === 'zh' ? `请提供${last}` : `give ${last}`
  return language === 'zh'
    ? `请提供${rest.join('、')}或${last}`
    : `give ${rest.join(', ')} or ${last}`
}

/** The rule in words; `null` for a refusal no code describes (`other`): show its reason. */
export function ruleText(language: Language, rule: FieldRule): string | null {
  switch (rule.kind) {
    case 'too_small':
      return bound(language, true, rule.minimum, rule.origin)
    case 'too_big':
      return bound(language, false, rule.maximum, rule.origin)
    case 'invalid_type': {
      const expected = EXPECTED[rule.expected]?.[language] ?? rule.expected
      return language === 'zh' ? `应为${expected}` : `must be ${expected}`
    }
    case 'invalid_format':
      return language === 'zh' ? `格式不对（${rule.format}）` : `not a valid ${rule.format}`
    case 'invalid_value':
      return language === 'zh' ? '不是允许的取值' : 'not one of the allowed values'
    case 'unrecognized_keys':
      return language === 'zh'
        ? `有 ${rule.count} 个不认识的字段`
        : `${rule.count} unknown field${rule.count === 1 ? '' : 's'}`
    case 'decimal_integer':
      return language === 'zh'
        ? `应为 ${rule.minimum} 到 ${rule.maximum} 之间的整数（只写十进制数字）`
        : `must be a whole number from ${rule.minimum} to ${rule.maximum}, in decimal digits`
    case 'id':
      return language === 'zh'
        ? '应为编号（从 1 起的整数）'
        : 'must be an id (a whole number from 1)'
    case 'cursor':
      return language === 'zh'
        ? '应为上一页返回的分页位置'
        : 'must be the cursor of a previous page'
    case 'time':
      return language === 'zh'
        ? `应为 ISO 8601 时间，或 1970 年以来的毫秒数（0 到 ${rule.maximum}）`
        : `must be an ISO 8601 time or milliseconds since 1970 (0 to ${rule.maximum})`
    case 'status_filter':
      return language === 'zh'
        ? '应为 2xx、3xx、4xx、5xx、error，或 100 到 599 之间的状态码'
        : 'must be 2xx, 3xx, 4xx, 5xx, error or a status code from 100 to 599'
    case 'one_of':
      return oneOf(language, rule.fields)
    case 'differs_from': {
      const other = fieldLabel(language, rule.field)
      return language === 'zh' ? `不能与${other}相同` : `must differ from the ${other}`
    }
    case 'local_address':
      return language === 'zh'
        ? '应为本机的 IPv4 或 IPv6 地址'
        : 'must be an IPv4 or IPv6 address of this host'
    case 'egress_url':
      return translate(language, EGRESS_URL_PROBLEMS[rule.problem], { max: EGRESS_URL_MAX })
    case 'other':
      return null
  }
}

/** One refused field as the dashboard shows it: its name and why, in the reader's language. */
export function describeFieldIssue(
  language: Language,
  issue: FieldIssue,
): { field: string; reason: string } {
  const worded = issue.rule === undefined ? null : ruleText(language, issue.rule)
  return { field: fieldLabel(language, issue.field), reason: worded ?? issue.reason }
}
