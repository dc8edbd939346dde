import type { Language } from '../../i18n/language.js'

/** What each setting of CONTRACT §2 means, for the settings table. Unknown names show none. */
const DESCRIPTIONS: Record<string, Record<Language, string>> = {
  PORT: { zh: '监听端口', en: 'Listen port' },
  HOST: { zh: '监听地址', en: 'Listen address' },
  DATA_DIR: { zh: 'SQLite 数据目录', en: 'SQLite data folder' },
  ADMIN_PASSWORD: { zh: '管理员密码（用户 admin）', en: 'Admin password (user admin)' },
  PROXY_API_KEYS: { zh: '环境变量中的客户端密钥', en: 'Client keys from the environment' },
  UPSTREAM_BASE_URL: { zh: '上游地址', en: 'Upstream origin' },
  AUTO_QUERY_BALANCE_AFTER_CALLS: {
    zh: '每成功调用 N 次后查询余额（0 = 从不）',
    en: 'Check the balance after every N successful calls (0 = never)',
  },
  LOW_BALANCE_THRESHOLD: {
    zh: '余额低于此值（元）视为欠费',
    en: 'Balance (CNY) below this is insufficient',
  },
  BALANCE_REFRESH_MINUTES: {
    zh: '每隔多少分钟刷新当前密钥余额（0 = 从不）',
    en: 'Refresh the current key’s balance this often, minutes (0 = never)',
  },
  DISPATCH_CONCURRENCY: { zh: '同时进行的上游请求数', en: 'Upstream requests in flight at once' },
  DISPATCH_QUEUE_MAX: {
    zh: '最多排队请求数，超出返回 503',
    en: 'Most waiting requests; beyond: 503',
  },
  DISPATCH_QUEUE_TIMEOUT_MS: { zh: '排队最长等待（毫秒）', en: 'Longest wait for a slot (ms)' },
  KEY_SWITCH_GUARD_MINUTES: {
    zh: '两次使用不同密钥之间的最短间隔（分钟，0 = 关闭）',
    en: 'Least time between two different keys (minutes, 0 = off)',
  },
  KEY_SWITCH_POLICY: {
    zh: 'wait：保护期内拒绝切换；immediate：立即切换',
    en: 'wait: refuse switches inside the window; immediate: switch at once',
  },
  UPSTREAM_RETRIES: {
    zh: '5xx / 网络错误时同一密钥的重试次数',
    en: 'Retries on the same key for 5xx / network errors',
  },
  KEY_ERROR_THRESHOLD: {
    zh: '连续失败多少次后标记为错误',
    en: 'Consecutive failures that mark a key as error',
  },
  KEY_ERROR_COOLDOWN_MINUTES: {
    zh: '错误状态的冷却时间（分钟）',
    en: 'Cooldown of an error key (minutes)',
  },
  UPSTREAM_CONNECT_TIMEOUT_MS: { zh: '上游连接超时（毫秒）', en: 'Upstream connect timeout (ms)' },
  UPSTREAM_HEADERS_TIMEOUT_MS: {
    zh: '上游首字节超时（毫秒）',
    en: 'Upstream time to first byte (ms)',
  },
  UPSTREAM_BODY_IDLE_TIMEOUT_MS: {
    zh: '响应中最长静默（毫秒）',
    en: 'Longest silence inside an answer (ms)',
  },
  BODY_LIMIT_MB: { zh: '最大请求体（MB）', en: 'Largest request body (MB)' },
  LOG_RETENTION_DAYS: { zh: '请求日志保留天数', en: 'Days request logs are kept' },
  ENCRYPTION_KEY: { zh: '设置后加密存储上游密钥', en: 'When set, stored keys are encrypted' },
  TRUST_PROXY: { zh: '信任 X-Forwarded-For', en: 'Honour X-Forwarded-For' },
  SHUTDOWN_GRACE_SECONDS: {
    zh: '关闭时等待进行中请求的秒数',
    en: 'Seconds in-flight requests get on shutdown',
  },
  LOG_LEVEL: { zh: '日志级别', en: 'Log level' },
  NODE_ENV: { zh: '运行环境', en: 'Runtime environment' },
}

export function describeSetting(name: string, language: Language): string {
  return DESCRIPTIONS[name]?.[language] ?? ''
}
