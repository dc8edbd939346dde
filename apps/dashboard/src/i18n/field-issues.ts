import type { FieldIssue, FieldRule } from '@sfp/schemas'
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

/** The rule in words; `null` for a rule in the server's own words (`other`): show its reason. */
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
