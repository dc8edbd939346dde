import { z } from 'zod'
import { displayProxyUrl } from './egresses.js'
import {
  blockCodeList,
  booleanFlag,
  clientKeyList,
  corsOriginList,
  decimal,
  integer,
  ipAddress,
  KEY_SWITCH_POLICIES,
  LOG_LEVELS,
  postgresUrl,
  proxyUrlList,
  SHORT_ADMIN_PASSWORD,
  upstreamBaseUrl,
} from './setting-rules.js'

/**
 * The one table of settings. Each is declared here once; the environment schema, the `Config`
 * type and its values, the `/api/manage/config` view, the README "Settings" table and the docker
 * compose `environment:` lists are all derived from it (see README.md of this package).
 */

/** How the dashboard and the README group the settings, in this order. */
export const SETTING_GROUPS = [
  'server',
  'security',
  'upstream',
  'pool',
  'dispatch',
  'limits',
  'egress',
  'cluster',
  'logs',
] as const
export type SettingGroup = (typeof SETTING_GROUPS)[number]

/** A value as `GET /api/manage/config` shows it. */
export type SettingShown = string | number | boolean

/**
 * What stands for a value that is not shown (a secret, nothing set, a count): a code the
 * dashboard words in the reader's language; scripts read `placeholderText`'s English.
 */
export const settingPlaceholderSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('set') }),
  z.object({ kind: z.literal('not_set') }),
  z.object({ kind: z.literal('generated') }),
  z.object({ kind: z.literal('none') }),
  z.object({ kind: z.literal('keys'), count: z.number().int().nonnegative() }),
])
export type SettingPlaceholder = z.infer<typeof settingPlaceholderSchema>

/** The English of a placeholder, the `value` scripts read (`(set)`, `(2 keys)`...). */
export function placeholderText(placeholder: SettingPlaceholder): string {
  switch (placeholder.kind) {
    case 'set':
      return '(set)'
    case 'not_set':
      return '(not set)'
    case 'generated':
      return '(generated, hash stored)'
    case 'none':
      return '(none)'
    case 'keys':
      return `(${placeholder.count} key${placeholder.count === 1 ? '' : 's'})`
  }
}

/** What the rule gives: with no default, an unset variable stays `undefined`. */
type Parsed<Rule extends z.ZodType, Default> = undefined extends Default
  ? z.output<Rule> | undefined
  : z.output<Rule>

export interface SettingDeclaration<
  Field extends string = string,
  Rule extends z.ZodType = z.ZodType,
  Default extends string | undefined = string | undefined,
  Value = unknown,
> {
  /** The `Config` field it feeds. */
  field: Field
  /** Reads the environment string (never quoting it in a message). */
  rule: Rule
  /** The default as it would be written in the environment; `undefined`: unset by default. */
  default: Default
  /** The README's default column when there is no default written (`generated`); else `empty`. */
  unsetMeans?: string
  /** Never echoed: not in a validation message, the admin API or a log line. */
  secret: boolean
  group: SettingGroup
  description: { zh: string; en: string }
  /** An empty value means "none" rather than "unset, use the default". */
  emptyMeansNone?: boolean
  /** Fixed in the docker image (the compose files set it and do not pass the host's value on). */
  container?: string
  /** The parsed value -> the `Config` field's value. */
  toConfig: (value: Parsed<Rule, Default>) => Value
  /** The `Config` field's value -> what `GET /api/manage/config` shows (secrets: set or not). */
  show: (value: Value) => SettingShown | SettingPlaceholder
}

type DeclarationInput<
  Field extends string,
  Rule extends z.ZodType,
  Default extends string | undefined,
  Value,
> = Omit<SettingDeclaration<Field, Rule, Default, Value>, 'toConfig' | 'show'> & {
  toConfig?: (value: Parsed<Rule, Default>) => Value
  show?: (value: Value) => SettingShown | SettingPlaceholder
}

/** Fills in the identity conversions, keeping each declaration's own types for `Config`. */
function setting<
  const Field extends string,
  Rule extends z.ZodType,
  const Default extends string | undefined,
  Value = Parsed<Rule, Default>,
>(
  declaration: DeclarationInput<Field, Rule, Default, Value>,
): SettingDeclaration<Field, Rule, Default, Value> {
  return {
    ...declaration,
    toConfig: declaration.toConfig ?? ((value) => value as Value),
    show: declaration.show ?? ((value) => value as SettingShown),
  }
}

const SET: SettingPlaceholder = { kind: 'set' }
const NOT_SET: SettingPlaceholder = { kind: 'not_set' }
const setOrNot = (value: string | undefined) => (value === undefined ? NOT_SET : SET)

export const SETTINGS = {
  PORT: setting({
    field: 'port',
    rule: integer(0, 65535),
    default: '3000',
    container: '3000',
    secret: false,
    group: 'server',
    description: { zh: '监听端口', en: 'listen port' },
  }),
  HOST: setting({
    field: 'host',
    rule: z.string().trim().min(1),
    default: '0.0.0.0',
    container: '0.0.0.0',
    secret: false,
    group: 'server',
    description: { zh: '监听地址', en: 'listen address' },
  }),
  DATA_DIR: setting({
    field: 'dataDir',
    rule: z.string().trim().min(1),
    default: './data',
    container: '/app/data',
    secret: false,
    group: 'server',
    description: {
      zh: 'SQLite 数据目录（数据库为 DATA_DIR/api_keys.db，WAL 模式），不存在时自动创建',
      en: 'SQLite database at `DATA_DIR/api_keys.db` (WAL); created if missing',
    },
  }),
  TRUST_PROXY: setting({
    field: 'trustProxy',
    rule: booleanFlag,
    default: 'false',
    secret: false,
    group: 'server',
    description: {
      zh: '信任一层反向代理：客户端 IP 取 X-Forwarded-For 的最后一项，并采用 X-Forwarded-Host（仅当端口只能经该代理访问时开启）',
      en: 'trusts one proxy hop: the client IP is the last `X-Forwarded-For` entry, the one the reverse proxy in front added, and `X-Forwarded-Host` is honoured (set when behind nginx etc., and only when the port is reachable through that proxy alone)',
    },
  }),
  CORS_ORIGINS: setting({
    field: 'corsOrigins',
    rule: corsOriginList,
    default: '*',
    secret: false,
    group: 'server',
    description: {
      zh: '允许在浏览器中调用 /v1/* 和 /api/proxy/* 的网页来源（CORS），逗号分隔，按浏览器发送的格式 scheme://host[:port]，不带路径；*：任意网页。管理 API 从不响应 CORS',
      en: 'origins whose web pages may call `/v1/*` and `/api/proxy/*` from the browser (CORS), comma-separated, each as the browser sends it: `scheme://host[:port]`, no path (`https://chat.example.com,http://localhost:5173`); `*`: any page. The admin API never answers CORS',
    },
    show: (origins) => (origins === '*' ? '*' : origins.join(',')),
  }),
  SHUTDOWN_GRACE_SECONDS: setting({
    field: 'shutdownGraceMs',
    rule: integer(0, 3600),
    default: '30',
    secret: false,
    group: 'server',
    description: {
      zh: '收到 SIGTERM/SIGINT 后，进行中的响应最多还能持续的秒数',
      en: 'on SIGTERM/SIGINT, how long in-flight responses may take to finish',
    },
    toConfig: (seconds) => seconds * 1000,
    show: (ms) => ms / 1000,
  }),
  NODE_ENV: setting({
    field: 'nodeEnv',
    rule: z.enum(['production', 'development', 'test'], {
      error: 'must be production, development or test',
    }),
    default: 'production',
    container: 'production',
    secret: false,
    group: 'server',
    description: {
      zh: '运行环境：production、development 或 test',
      en: '`production`, `development` or `test`',
    },
  }),

  ADMIN_PASSWORD: setting({
    field: 'adminPassword',
    rule: z
      .string()
      .min(8, { error: SHORT_ADMIN_PASSWORD })
      .max(1024, { error: 'must be at most 1024 characters' }),
    default: undefined,
    unsetMeans: 'generated',
    secret: true,
    group: 'security',
    description: {
      zh: '管理员密码（用户 admin），至少 8 个字符。未设置时首次启动自动生成并只显示一次，只保存其 scrypt 哈希，可在“设置 → 管理员密码”中修改；设置后即为该密码，控制台不提供修改',
      en: 'admin password (user `admin`), at least 8 characters. Unset: generated on first boot, printed once, only its scrypt hash stored, and changeable in the dashboard (Settings → 管理员密码 / Admin password: current, new, repeat; other signed-in browsers are signed out). Set: it is the password, and the dashboard says so and offers no change',
    },
    show: (password) => (password === undefined ? { kind: 'generated' } : SET),
  }),
  PROXY_API_KEYS: setting({
    field: 'proxyApiKeys',
    rule: clientKeyList,
    default: '',
    secret: true,
    group: 'security',
    description: {
      zh: '环境变量中的客户端密钥，逗号分隔，与控制台创建的客户端密钥一起用于代理路由。若一个客户端密钥都没有，首次启动时生成一个并只显示一次',
      en: 'comma-separated client keys accepted on proxy routes, besides client keys made in the dashboard. If no client key exists at all, one is generated on first boot and printed once',
    },
    show: (keys) => ({ kind: 'keys', count: keys.length }),
  }),
  ENCRYPTION_KEY: setting({
    field: 'encryptionKey',
    rule: z
      .string()
      .min(16, { error: 'must be at least 16 characters (e.g. `openssl rand -hex 32`)' }),
    default: undefined,
    secret: true,
    group: 'security',
    description: {
      zh: '设置后（至少 16 个字符，如 openssl rand -hex 32）加密存储上游密钥和代理密码（AES-256-GCM）',
      en: 'when set (16+ characters, e.g. `openssl rand -hex 32`), stored upstream keys and proxy passwords are encrypted (AES-256-GCM)',
    },
    show: setOrNot,
  }),

  UPSTREAM_BASE_URL: setting({
    field: 'upstreamBaseUrl',
    rule: upstreamBaseUrl,
    default: 'https://api.siliconflow.cn',
    secret: false,
    group: 'upstream',
    description: {
      zh: '上游地址；请求时追加 /v1/...（末尾的 /v1 会被忽略）',
      en: 'upstream origin; `/v1/...` is appended (a trailing `/v1` is ignored)',
    },
  }),
  UPSTREAM_RETRIES: setting({
    field: 'upstreamRetries',
    rule: integer(0, 10),
    default: '2',
    secret: false,
    group: 'upstream',
    description: {
      zh: '5xx / 网络错误时同一密钥的重试次数（仅在尚未向客户端发送任何字节时）',
      en: 'extra attempts on the same key for 5xx / network errors, before any byte reached the client',
    },
  }),
  UPSTREAM_CONNECT_TIMEOUT_MS: setting({
    field: 'upstreamConnectTimeoutMs',
    rule: integer(1, 600_000),
    default: '10000',
    secret: false,
    group: 'upstream',
    description: { zh: '上游连接超时（毫秒）', en: 'upstream connect timeout' },
  }),
  UPSTREAM_HEADERS_TIMEOUT_MS: setting({
    field: 'upstreamHeadersTimeoutMs',
    rule: integer(1, 3_600_000),
    default: '300000',
    secret: false,
    group: 'upstream',
    description: {
      zh: '上游首字节超时（毫秒，思考模型需要较长时间）',
      en: 'time to the first byte of the answer (long for thinking models)',
    },
  }),
  UPSTREAM_BODY_IDLE_TIMEOUT_MS: setting({
    field: 'upstreamBodyIdleTimeoutMs',
    rule: integer(1, 3_600_000),
    default: '300000',
    secret: false,
    group: 'upstream',
    description: { zh: '响应中最长静默（毫秒）', en: 'longest silence inside an answer' },
  }),

  AUTO_QUERY_BALANCE_AFTER_CALLS: setting({
    field: 'autoQueryBalanceAfterCalls',
    rule: integer(0, 1_000_000),
    default: '10',
    secret: false,
    group: 'pool',
    description: {
      zh: '每成功调用 N 次后查询所用密钥的余额（0 = 从不）',
      en: "check the used key's balance after every N successful calls (0 = never)",
    },
  }),
  LOW_BALANCE_THRESHOLD: setting({
    field: 'lowBalanceThreshold',
    rule: decimal(-1_000_000, 1_000_000),
    default: '1',
    secret: false,
    group: 'pool',
    description: {
      zh: '余额（totalBalance，元）低于此值的密钥视为欠费（insufficient）',
      en: 'a key whose `totalBalance` (CNY) is below this is `insufficient`',
    },
  }),
  BALANCE_REFRESH_MINUTES: setting({
    field: 'balanceRefreshMinutes',
    rule: integer(0, 10_080),
    default: '60',
    secret: false,
    group: 'pool',
    description: {
      zh: '每隔多少分钟刷新当前密钥余额（0 = 从不）',
      en: "also refresh the current key's balance this often (0 = never)",
    },
  }),
  KEY_ERROR_THRESHOLD: setting({
    field: 'keyErrorThreshold',
    rule: integer(1, 1000),
    default: '5',
    secret: false,
    group: 'pool',
    description: {
      zh: '连续多少次可归因于密钥的失败后标记为错误（error）',
      en: 'consecutive key-attributable failures that put a key in `error`',
    },
  }),
  KEY_ERROR_COOLDOWN_MINUTES: setting({
    field: 'keyErrorCooldownMinutes',
    rule: decimal(0, 10_080),
    default: '10',
    secret: false,
    group: 'pool',
    description: {
      zh: '错误状态的冷却时间（分钟），之后该密钥重新成为候选',
      en: 'after this, an `error` key is a candidate again',
    },
  }),

  DISPATCH_CONCURRENCY: setting({
    field: 'dispatchConcurrency',
    rule: integer(1, 1024),
    default: '1',
    secret: false,
    group: 'dispatch',
    description: {
      zh: '每个出口通道同时进行的上游请求数',
      en: 'upstream requests in flight at once per egress lane',
    },
  }),
  DISPATCH_QUEUE_MAX: setting({
    field: 'dispatchQueueMax',
    rule: integer(0, 1_000_000),
    default: '100',
    secret: false,
    group: 'dispatch',
    description: {
      zh: '所有通道合计最多排队请求数，超出返回 503',
      en: 'requests that may wait for a slot, all lanes together; beyond that: 503',
    },
  }),
  CLIENT_QUEUE_SHARE: setting({
    field: 'clientQueueShare',
    rule: decimal(0.01, 1),
    default: '0.5',
    secret: false,
    group: 'dispatch',
    description: {
      zh: '单个客户端密钥最多可占用的排队名额比例（DISPATCH_QUEUE_MAX 的份额），超出时该密钥的请求返回 503；排队按客户端密钥轮流服务',
      en: "the share of DISPATCH_QUEUE_MAX one client key may hold; beyond it that key's requests get 503. Waiters are served round-robin across client keys",
    },
  }),
  DISPATCH_QUEUE_TIMEOUT_MS: setting({
    field: 'dispatchQueueTimeoutMs',
    rule: integer(1, 86_400_000),
    default: '600000',
    secret: false,
    group: 'dispatch',
    description: {
      zh: '排队最长等待（毫秒），超时返回 503',
      en: 'longest wait for a slot; then 503',
    },
  }),
  KEY_SWITCH_GUARD_MINUTES: setting({
    field: 'keySwitchGuardMinutes',
    rule: decimal(0, 1440),
    default: '30',
    secret: false,
    group: 'dispatch',
    description: {
      zh: '同一出口两次使用不同密钥之间、以及密钥换到另一出口之前的最短间隔（分钟，0 = 关闭）',
      en: 'least time between two different keys being used through one egress, and before a key moves to another egress (0 = off)',
    },
  }),
  KEY_SWITCH_POLICY: setting({
    field: 'keySwitchPolicy',
    rule: z.enum(KEY_SWITCH_POLICIES, { error: 'must be wait or immediate' }),
    default: 'wait',
    secret: false,
    group: 'dispatch',
    description: {
      zh: 'wait：保护期内需要切换时返回 503 和 Retry-After，直到保护期结束；immediate：立即切换',
      en: '`wait`: a switch due inside the guard window answers 503 with Retry-After until it ends; `immediate`: switch at once',
    },
  }),

  BODY_LIMIT_MB: setting({
    field: 'bodyLimitBytes',
    rule: decimal(0.001, 1024),
    default: '50',
    secret: false,
    group: 'limits',
    description: { zh: '最大请求体（MB）', en: 'largest request body' },
    toConfig: (mb) => Math.floor(mb * 1024 * 1024),
    show: (bytes) => bytes / (1024 * 1024),
  }),
  CLIENT_BODY_IDLE_TIMEOUT_MS: setting({
    field: 'clientBodyIdleTimeoutMs',
    rule: integer(100, 3_600_000),
    default: '30000',
    secret: false,
    group: 'limits',
    description: {
      zh: '接收请求体时的最长静默（毫秒），超时返回 408 request_timeout（不排队、不转发）',
      en: 'longest silence while a request body is received; then 408 `request_timeout` (nothing queued or sent)',
    },
  }),
  CLIENT_HEADERS_TIMEOUT_MS: setting({
    field: 'clientHeadersTimeoutMs',
    rule: integer(100, 3_600_000),
    default: '30000',
    secret: false,
    group: 'limits',
    description: {
      zh: '接收请求头（请求行和头部）的最长时间（毫秒），超时返回 408 request_timeout 并关闭连接；不得大于 CLIENT_REQUEST_TIMEOUT_MS',
      en: "longest time to receive a request's head (request line and headers); then 408 `request_timeout`, connection closed. At most `CLIENT_REQUEST_TIMEOUT_MS`",
    },
  }),
  CLIENT_REQUEST_TIMEOUT_MS: setting({
    field: 'clientRequestTimeoutMs',
    rule: integer(0, 86_400_000).refine((ms) => ms === 0 || ms >= 100, {
      error: 'must be 0 (off) or at least 100',
    }),
    default: '300000',
    secret: false,
    group: 'limits',
    description: {
      zh: '接收整个请求（头部和请求体）的最长时间（毫秒，0 = 不限），超时返回 408 request_timeout 并关闭连接；从不限制响应耗时',
      en: 'longest time to receive a whole request, head and body (0 = no limit); then 408 `request_timeout`, connection closed. Never limits how long the answer takes',
    },
  }),

  EGRESS_DIRECT: setting({
    field: 'egressDirect',
    rule: booleanFlag,
    default: 'true',
    secret: false,
    group: 'egress',
    description: {
      zh: '本机自身的连接作为一个出口（false：只使用代理）',
      en: "this host's own connection is an egress (`false`: only proxies are used)",
    },
  }),
  EGRESS_DIRECT_ADDRESS: setting({
    field: 'egressDirectAddress',
    rule: ipAddress,
    default: undefined,
    secret: false,
    group: 'egress',
    description: {
      zh: '直连出口使用的本机源地址（多 IP 主机、IPv6 地址段）',
      en: 'local source address of the direct egress (hosts with several IPs, IPv6 blocks)',
    },
    show: (address) => address ?? NOT_SET,
  }),
  EGRESS_PROXIES: setting({
    field: 'egressProxies',
    rule: proxyUrlList,
    default: '',
    secret: true,
    group: 'egress',
    description: {
      zh: '启动时确保存在的代理地址，逗号分隔（http://、https://、socks5://、socks5h://，可带 user:password@，必须写端口）；控制台可再添加。机密：从不回显',
      en: 'comma-separated proxy URLs (`http://`, `https://`, `socks5://`, `socks5h://`, optional `user:password@`, port required) ensured at boot; the dashboard adds more. A secret: never echoed',
    },
    // Passwords masked: what the egress list shows too.
    show: (proxies) =>
      proxies
        .map((proxy) => displayProxyUrl({ ...proxy, hasPassword: proxy.password !== null }))
        .join(','),
  }),
  EGRESS_BLOCK_CODES: setting({
    field: 'egressBlockCodes',
    rule: blockCodeList,
    default: '50603',
    emptyMeansNone: true,
    secret: false,
    group: 'egress',
    description: {
      zh: '表示“此 IP 被封禁”的上游响应体错误码，逗号分隔（留空或 none：无）',
      en: 'upstream body codes that mean "this IP is blocked", comma-separated (empty or `none`: none)',
    },
    show: (codes) => (codes.length === 0 ? { kind: 'none' } : codes.join(',')),
  }),
  EGRESS_BLOCK_MINUTES: setting({
    field: 'egressBlockMinutes',
    rule: decimal(0.1, 10_080),
    default: '30',
    secret: false,
    group: 'egress',
    description: {
      zh: '被封禁的出口暂停多久（分钟）后再使用',
      en: 'how long a blocked egress rests before it is used again',
    },
  }),

  DATABASE_URL: setting({
    field: 'databaseUrl',
    rule: postgresUrl,
    default: undefined,
    secret: true,
    group: 'cluster',
    description: {
      zh: '留空：状态存于 DATA_DIR 中的 SQLite（单实例，零配置）；postgres://用户:密码@主机:端口/库：全部状态存于 PostgreSQL（多个实例可共用一个数据库：集群模式，见 README「集群模式」）',
      en: 'empty: state in SQLite in DATA_DIR (one instance, zero setup); `postgres://user:password@host:port/db`: all state in PostgreSQL, shared by every instance on it (cluster mode: README "Cluster mode")',
    },
    show: setOrNot,
  }),
  INSTANCE_ID: setting({
    field: 'instanceId',
    rule: z
      .string()
      .trim()
      .regex(/^[\w.-]{1,64}$/, { error: 'must be 1 to 64 letters, digits, `.`, `_` or `-`' }),
    default: undefined,
    unsetMeans: 'host name',
    secret: false,
    group: 'cluster',
    description: {
      zh: '本实例在集群中的唯一名称（默认为主机名）；仅集群模式使用',
      en: "this instance's unique name in the cluster (default: the host name); cluster mode only",
    },
    show: (id) => id ?? NOT_SET,
  }),
  LEASE_SECONDS: setting({
    field: 'leaseSeconds',
    rule: integer(3, 600),
    default: '15',
    secret: false,
    group: 'cluster',
    description: {
      zh: '出口通道租约时长（秒），每三分之一续约一次；实例失联后其通道在此时间后由其他实例接管',
      en: "lane lease lifetime, renewed every third of it; a lost instance's lanes are taken over after it",
    },
  }),

  LOG_RETENTION_DAYS: setting({
    field: 'logRetentionDays',
    rule: integer(1, 3650),
    default: '30',
    secret: false,
    group: 'logs',
    description: {
      zh: '请求日志保留天数，更早的记录会被删除',
      en: 'request log rows older than this are deleted',
    },
  }),
  LOG_LEVEL: setting({
    field: 'logLevel',
    rule: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }),
    default: 'info',
    secret: false,
    group: 'logs',
    description: {
      zh: '日志级别：fatal、error、warn、info、debug、trace、silent',
      en: '`fatal` `error` `warn` `info` `debug` `trace` `silent`',
    },
  }),
}

export type Settings = typeof SETTINGS
export type SettingName = keyof Settings

/** Every declaration with its variable's name, in declaration order, loosely typed for loops. */
export function settingEntries(): [SettingName, SettingDeclaration][] {
  return Object.entries(SETTINGS) as unknown as [SettingName, SettingDeclaration][]
}
