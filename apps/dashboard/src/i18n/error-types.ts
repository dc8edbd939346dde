import type { LogErrorType } from '@sfp/schemas'
import type { Language } from './language.js'
import type { Message } from './messages/message.js'

/**
 * The request log's error types in words. Every code the server may store is here (a missing one
 * fails the typecheck); the code itself stays visible beside the words for searching and scripts.
 */
export const ERROR_TYPE_LABELS: Record<LogErrorType, Message> = {
  invalid_client_key: { zh: '客户端密钥无效', en: 'invalid client key' },
  invalid_json: { zh: '请求 JSON 无效', en: 'invalid JSON' },
  request_too_large: { zh: '请求过大', en: 'request too large' },
  queue_full: { zh: '排队已满', en: 'queue full' },
  queue_timeout: { zh: '排队超时', en: 'queue timeout' },
  key_switch_guard: { zh: '切换保护期内', en: 'key switch guard' },
  no_available_key: { zh: '没有可用密钥', en: 'no usable key' },
  rate_limited: { zh: '请求过于频繁', en: 'rate limited' },
  no_available_egress: { zh: '没有可用出口', en: 'no usable egress' },
  egress_blocked: { zh: '出口 IP 被封禁', en: 'egress IP blocked' },
  request_timeout: { zh: '接收请求超时', en: 'request receive timeout' },
  method_not_allowed: { zh: '不支持的请求方法', en: 'method not allowed' },
  upstream_unreachable: { zh: '上游无法连接', en: 'upstream unreachable' },
  upstream_timeout: { zh: '上游超时', en: 'upstream timeout' },
  upstream_stream_error: { zh: '上游响应中断', en: 'upstream answer broke off' },
  shutting_down: { zh: '服务正在关闭', en: 'shutting down' },
  upstream_error: { zh: '上游返回错误', en: 'upstream error' },
  client_disconnected: { zh: '客户端已断开', en: 'client disconnected' },
}

/** The words for `code` in `language`; a code this build does not know is shown as it is. */
export function errorTypeLabel(language: Language, code: string): string {
  const label = (ERROR_TYPE_LABELS as Record<string, Message | undefined>)[code]
  return label === undefined ? code : label[language]
}
