import type {
  LogEntry,
  LogErrorDetail,
  LogErrorDetailType,
  LogErrorParams,
  LogErrorType,
  TransportFailure,
  TransportFailureCause,
} from '@sfp/schemas'
import { readLogErrorDetail } from '@sfp/schemas'
import { renderExplanation } from './explanations.js'
import type { Formatters } from './format.js'
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
  database_unavailable: { zh: '实例连不上数据库', en: 'database unreachable' },
  request_timeout: { zh: '接收请求超时', en: 'request receive timeout' },
  method_not_allowed: { zh: '不支持的请求方法', en: 'method not allowed' },
  client_key_expired: { zh: '客户端密钥已过期', en: 'client key expired' },
  model_not_allowed: { zh: '该密钥不可使用此模型', en: 'model not allowed for this key' },
  client_ip_not_allowed: { zh: '客户端 IP 不在允许范围', en: 'client IP not allowed' },
  client_rate_limited: { zh: '超出每分钟请求数', en: 'client key requests per minute used up' },
  client_quota_exceeded: { zh: '超出密钥配额', en: 'client key quota used up' },
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

/** What a failed upstream connection or answer came to, in words. */
const TRANSPORT_CAUSES: Record<TransportFailureCause, Message> = {
  connect_timeout: { zh: '连接超时', en: 'connect timeout' },
  headers_timeout: { zh: '等待响应头超时', en: 'no response headers in time' },
  body_timeout: { zh: '响应长时间没有新数据', en: 'the answer went silent for too long' },
  connection_closed: { zh: '上游关闭了连接', en: 'the upstream closed the connection' },
  connection_refused: { zh: '连接被拒绝', en: 'connection refused' },
  connection_reset: { zh: '连接被重置', en: 'connection reset' },
  tunnel_refused: { zh: '代理拒绝建立隧道', en: 'the proxy refused the tunnel' },
  socks_refused: { zh: 'SOCKS5 代理拒绝', en: 'the SOCKS5 proxy refused' },
  headers_too_large: { zh: '响应头过大', en: 'response headers too large' },
  answer_too_short: { zh: '响应比声明的短', en: 'answer shorter than announced' },
  malformed_answer: { zh: 'HTTP 响应格式错误', en: 'malformed HTTP answer' },
  host_not_found: { zh: '找不到主机', en: 'host not found' },
  dns_failed: { zh: 'DNS 查询失败', en: 'DNS lookup failed' },
  host_unreachable: { zh: '主机不可达', en: 'host unreachable' },
  network_unreachable: { zh: '网络不可达', en: 'network unreachable' },
  shutting_down: { zh: '服务正在关闭', en: 'the proxy is shutting down' },
  failed: { zh: '上游请求失败', en: 'upstream request failed' },
}

type DetailRenderers = {
  [Type in LogErrorDetailType]: (params: LogErrorParams<Type>, format: Formatters) => string
}

const failure = (language: Language, { cause, code }: TransportFailure) =>
  `${TRANSPORT_CAUSES[cause][language]} (${code})`

/**
 * The params of each error type that has any, one renderer per type and language: a type without
 * a Chinese or English rendering fails the type check. A refusal says why in the words of the
 * explanations catalog.
 */
const DETAIL_RENDERERS: Record<Language, DetailRenderers> = {
  zh: {
    upstream_error: ({ status, detail }) => `上游返回 HTTP ${status}${detail ? `：${detail}` : ''}`,
    upstream_unreachable: (params) => `无法连接上游：${failure('zh', params)}`,
    upstream_timeout: (params) => `上游超时：${failure('zh', params)}`,
    upstream_stream_error: (params) => `上游响应中途断开：${failure('zh', params)}`,
    client_disconnected: ({ cutAfterMs }, format) =>
      cutAfterMs === null
        ? '客户端在响应结束前断开了连接'
        : `客户端 ${format.duration(cutAfterMs)} 内没有读取任何响应数据，已被断开`,
    key_switch_guard: ({ why }, format) => renderExplanation('zh', format, why),
    rate_limited: ({ why }, format) => renderExplanation('zh', format, why),
    no_available_key: ({ why }, format) => renderExplanation('zh', format, why),
    no_available_egress: ({ why }, format) => renderExplanation('zh', format, why),
    egress_blocked: ({ why }, format) => renderExplanation('zh', format, why),
    database_unavailable: ({ why }, format) => renderExplanation('zh', format, why),
  },
  en: {
    upstream_error: ({ status, detail }) =>
      `upstream answered HTTP ${status}${detail ? `: ${detail}` : ''}`,
    upstream_unreachable: (params) => `upstream unreachable: ${failure('en', params)}`,
    upstream_timeout: (params) => `upstream timeout: ${failure('en', params)}`,
    upstream_stream_error: (params) => `the upstream answer broke off: ${failure('en', params)}`,
    client_disconnected: ({ cutAfterMs }, format) =>
      cutAfterMs === null
        ? 'the client closed the connection before the answer ended'
        : `the client took no byte of the answer for ${format.duration(cutAfterMs)}: cut`,
    key_switch_guard: ({ why }, format) => renderExplanation('en', format, why),
    rate_limited: ({ why }, format) => renderExplanation('en', format, why),
    no_available_key: ({ why }, format) => renderExplanation('en', format, why),
    no_available_egress: ({ why }, format) => renderExplanation('en', format, why),
    egress_blocked: ({ why }, format) => renderExplanation('en', format, why),
    database_unavailable: ({ why }, format) => renderExplanation('en', format, why),
  },
}

/**
 * A log row's error in the reader's language, from its type and params; the server's English
 * `errorMessage` for rows without params (older rows, types that have none).
 */
export function describeLogError(
  language: Language,
  format: Formatters,
  entry: Pick<LogEntry, 'errorType' | 'errorParams' | 'errorMessage'>,
): string | null {
  const detail = readLogErrorDetail(entry.errorType, entry.errorParams)
  if (detail === null) return entry.errorMessage
  const render = DETAIL_RENDERERS[language][detail.type] as (
    params: LogErrorDetail['params'],
    format: Formatters,
  ) => string
  return render(detail.params, format)
}
