import { z } from 'zod'
import {
  displayProxyUrl,
  isEgressUrlProblem,
  type ParsedProxyUrl,
  parseEgressUrl,
} from './egresses.js'

/**
 * Every setting of CONTRACT §2, read from environment strings. `process.env` is read in exactly one
 * place (the server entry); everything else receives the parsed `Config`.
 */

const integer = (min: number, max: number) =>
  z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(min, { error: `must be between ${min} and ${max}` })
    .max(max, { error: `must be between ${min} and ${max}` })

const decimal = (min: number, max: number) =>
  z.coerce
    .number({ error: 'must be a number' })
    .min(min, { error: `must be between ${min} and ${max}` })
    .max(max, { error: `must be between ${min} and ${max}` })

const booleanFlag = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(
    z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], {
      error: 'must be true or false',
    }),
  )
  .transform((value) => ['true', '1', 'yes', 'on'].includes(value))

/** The upstream origin; a trailing `/` or `/v1` is dropped because `/v1/...` is appended. */
const upstreamBaseUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://api.siliconflow.cn' })
  .transform((value) => {
    const url = new URL(value)
    const path = url.pathname.replace(/\/+$/, '').replace(/\/v1$/, '')
    return `${url.origin}${path}`
  })

const clientKeyList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((key) => key.trim())
      .filter((key) => key.length > 0),
  )
  .pipe(
    z.array(
      z
        .string()
        .min(8, { error: 'each key must be at least 8 characters' })
        .max(256, { error: 'each key must be at most 256 characters' })
        .regex(/^[\x21-\x7e]+$/, { error: 'each key must be printable ASCII without spaces' }),
    ),
  )

/** EGRESS_PROXIES: comma-separated proxy URLs, each checked like `POST /egresses` checks one. */
const proxyUrlList = z.string().transform((value, ctx) => {
  const proxies: ParsedProxyUrl[] = []
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
  for (const [index, entry] of entries.entries()) {
    const parsed = parseEgressUrl(entry)
    // The entry itself is never quoted: it may hold a proxy password.
    if (isEgressUrlProblem(parsed)) {
      ctx.addIssue({ code: 'custom', message: `entry ${index + 1}: ${parsed.reason}` })
      return z.NEVER
    }
    if (parsed.kind === 'direct') {
      ctx.addIssue({
        code: 'custom',
        message: `entry ${index + 1}: "direct" is not a proxy (EGRESS_DIRECT controls it)`,
      })
      return z.NEVER
    }
    proxies.push(parsed)
  }
  return proxies
})

/** EGRESS_BLOCK_CODES: upstream body codes meaning "this IP is blocked"; `none` for none. */
const blockCodeList = z.string().transform((value, ctx) => {
  const text = value.trim().toLowerCase()
  if (text === '' || text === 'none') return []
  const codes: number[] = []
  for (const entry of text.split(',')) {
    const code = Number(entry.trim())
    if (!Number.isInteger(code) || code < 0 || code > 2_147_483_647 || entry.trim() === '') {
      ctx.addIssue({ code: 'custom', message: 'must be whole numbers separated by commas' })
      return z.NEVER
    }
    codes.push(code)
  }
  return [...new Set(codes)]
})

/** An IP address literal (EGRESS_DIRECT_ADDRESS). */
const ipAddress = z
  .string()
  .trim()
  .refine((value) => z.regexes.ipv4.test(value) || z.regexes.ipv6.test(value), {
    error: 'must be an IPv4 or IPv6 address of this host',
  })

/**
 * CORS_ORIGINS: `*` (any page may call the proxy routes), or the origins allowed, comma-separated,
 * each exactly as a browser sends it in `Origin` (`scheme://host[:port]`: lower case, no default
 * port, no path, not even `/`), since it is compared with that header as it is.
 */
const corsOriginList = z.string().transform((value, ctx): '*' | string[] => {
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
  if (entries.length === 1 && entries[0] === '*') return '*'
  if (entries.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'must be * or a comma-separated list of origins' })
    return z.NEVER
  }
  const origins: string[] = []
  for (const [index, entry] of entries.entries()) {
    const problem = corsOriginProblem(entry)
    if (problem !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `entry ${index + 1}: ${problem}`,
      })
      return z.NEVER
    }
    origins.push(entry)
  }
  return [...new Set(origins)]
})

function corsOriginProblem(entry: string): string | undefined {
  const form = 'must be an origin such as https://chat.example.com (scheme://host[:port], no path)'
  if (entry === '*') return '* stands alone (any origin), not in a list'
  let url: URL
  try {
    url = new URL(entry)
  } catch {
    return form
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return form
  if (url.origin === entry) return undefined
  const bare = url.username === '' && url.password === '' && url.search === '' && url.hash === ''
  // Upper case, a default port or a trailing `/`: say how browsers write it.
  return bare && url.pathname === '/' ? `${form}; write it as ${url.origin}` : form
}

export const KEY_SWITCH_POLICIES = ['wait', 'immediate'] as const
export type KeySwitchPolicy = (typeof KEY_SWITCH_POLICIES)[number]

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/**
 * The old siliconflowProxy took any ADMIN_PASSWORD (`admin` was common) and clients sent it as
 * their key: say so, and what to do, in the one line boot prints.
 */
const SHORT_ADMIN_PASSWORD =
  'must be at least 8 characters. The old siliconflowProxy accepted fewer, such as "admin"; ' +
  'clients that send it as their key keep working only once it is at least 8 characters (give them ' +
  'the new one). Set a longer ADMIN_PASSWORD in .env or the environment, or remove it to have one ' +
  'generated and shown at first boot.'

/** Environment variable name -> schema. Defaults are the documented ones. */
export const envSchema = z.object({
  PORT: integer(0, 65535).default(3000),
  HOST: z.string().trim().min(1).default('0.0.0.0'),
  DATA_DIR: z.string().trim().min(1).default('./data'),
  ADMIN_PASSWORD: z
    .string()
    .min(8, { error: SHORT_ADMIN_PASSWORD })
    .max(1024, { error: 'must be at most 1024 characters' })
    .optional(),
  PROXY_API_KEYS: clientKeyList.default([]),
  UPSTREAM_BASE_URL: upstreamBaseUrl.default('https://api.siliconflow.cn'),
  AUTO_QUERY_BALANCE_AFTER_CALLS: integer(0, 1_000_000).default(10),
  LOW_BALANCE_THRESHOLD: decimal(-1_000_000, 1_000_000).default(1),
  BALANCE_REFRESH_MINUTES: integer(0, 10_080).default(60),
  DISPATCH_CONCURRENCY: integer(1, 1024).default(1),
  DISPATCH_QUEUE_MAX: integer(0, 1_000_000).default(100),
  DISPATCH_QUEUE_TIMEOUT_MS: integer(1, 86_400_000).default(600_000),
  KEY_SWITCH_GUARD_MINUTES: decimal(0, 1440).default(30),
  KEY_SWITCH_POLICY: z
    .enum(KEY_SWITCH_POLICIES, { error: 'must be wait or immediate' })
    .default('wait'),
  UPSTREAM_RETRIES: integer(0, 10).default(2),
  KEY_ERROR_THRESHOLD: integer(1, 1000).default(5),
  KEY_ERROR_COOLDOWN_MINUTES: decimal(0, 10_080).default(10),
  UPSTREAM_CONNECT_TIMEOUT_MS: integer(1, 600_000).default(10_000),
  UPSTREAM_HEADERS_TIMEOUT_MS: integer(1, 3_600_000).default(300_000),
  UPSTREAM_BODY_IDLE_TIMEOUT_MS: integer(1, 3_600_000).default(300_000),
  BODY_LIMIT_MB: decimal(0.001, 1024).default(50),
  CLIENT_BODY_IDLE_TIMEOUT_MS: integer(100, 3_600_000).default(30_000),
  CLIENT_HEADERS_TIMEOUT_MS: integer(100, 3_600_000).default(30_000),
  CLIENT_REQUEST_TIMEOUT_MS: integer(0, 86_400_000)
    .refine((ms) => ms === 0 || ms >= 100, { error: 'must be 0 (off) or at least 100' })
    .default(300_000),
  EGRESS_DIRECT: booleanFlag.default(true),
  EGRESS_DIRECT_ADDRESS: ipAddress.optional(),
  EGRESS_PROXIES: proxyUrlList.default([]),
  EGRESS_BLOCK_CODES: blockCodeList.default([50603]),
  EGRESS_BLOCK_MINUTES: decimal(0.1, 10_080).default(30),
  LOG_RETENTION_DAYS: integer(1, 3650).default(30),
  ENCRYPTION_KEY: z
    .string()
    .min(16, { error: 'must be at least 16 characters (e.g. `openssl rand -hex 32`)' })
    .optional(),
  TRUST_PROXY: booleanFlag.default(false),
  CORS_ORIGINS: corsOriginList.default('*'),
  SHUTDOWN_GRACE_SECONDS: integer(0, 3600).default(30),
  LOG_LEVEL: z
    .enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` })
    .default('info'),
  NODE_ENV: z
    .enum(['production', 'development', 'test'], {
      error: 'must be production, development or test',
    })
    .default('production'),
})

/** Settings whose values must never be echoed back, not even in a validation message. */
export const SECRET_SETTINGS = [
  'ADMIN_PASSWORD',
  'PROXY_API_KEYS',
  'ENCRYPTION_KEY',
  'EGRESS_PROXIES',
] as const

/** Settings for which an empty value means "none" rather than "unset, use the default". */
const EMPTY_MEANS_NONE = new Set(['EGRESS_BLOCK_CODES'])

type Env = z.output<typeof envSchema>

export interface Config {
  port: number
  host: string
  dataDir: string
  adminPassword: string | undefined
  proxyApiKeys: string[]
  upstreamBaseUrl: string
  autoQueryBalanceAfterCalls: number
  lowBalanceThreshold: number
  balanceRefreshMinutes: number
  dispatchConcurrency: number
  dispatchQueueMax: number
  dispatchQueueTimeoutMs: number
  keySwitchGuardMinutes: number
  keySwitchPolicy: KeySwitchPolicy
  upstreamRetries: number
  keyErrorThreshold: number
  keyErrorCooldownMinutes: number
  upstreamConnectTimeoutMs: number
  upstreamHeadersTimeoutMs: number
  upstreamBodyIdleTimeoutMs: number
  bodyLimitBytes: number
  /** Longest silence while a client's request body is being received. */
  clientBodyIdleTimeoutMs: number
  /** Longest time to receive a request's head (request line and headers). */
  clientHeadersTimeoutMs: number
  /**
   * Longest time to receive a whole request, head and body; 0 = no limit. Never limits how long
   * the answer takes: the clock stops once the request is in.
   */
  clientRequestTimeoutMs: number
  egressDirect: boolean
  egressDirectAddress: string | undefined
  egressProxies: ParsedProxyUrl[]
  egressBlockCodes: number[]
  egressBlockMinutes: number
  logRetentionDays: number
  encryptionKey: string | undefined
  trustProxy: boolean
  /** Origins whose pages may call the proxy routes (CORS); `*` for any. */
  corsOrigins: '*' | string[]
  shutdownGraceMs: number
  logLevel: (typeof LOG_LEVELS)[number]
  nodeEnv: 'production' | 'development' | 'test'
}

function toConfig(env: Env): Config {
  return {
    port: env.PORT,
    host: env.HOST,
    dataDir: env.DATA_DIR,
    adminPassword: env.ADMIN_PASSWORD,
    proxyApiKeys: env.PROXY_API_KEYS,
    upstreamBaseUrl: env.UPSTREAM_BASE_URL,
    autoQueryBalanceAfterCalls: env.AUTO_QUERY_BALANCE_AFTER_CALLS,
    lowBalanceThreshold: env.LOW_BALANCE_THRESHOLD,
    balanceRefreshMinutes: env.BALANCE_REFRESH_MINUTES,
    dispatchConcurrency: env.DISPATCH_CONCURRENCY,
    dispatchQueueMax: env.DISPATCH_QUEUE_MAX,
    dispatchQueueTimeoutMs: env.DISPATCH_QUEUE_TIMEOUT_MS,
    keySwitchGuardMinutes: env.KEY_SWITCH_GUARD_MINUTES,
    keySwitchPolicy: env.KEY_SWITCH_POLICY,
    upstreamRetries: env.UPSTREAM_RETRIES,
    keyErrorThreshold: env.KEY_ERROR_THRESHOLD,
    keyErrorCooldownMinutes: env.KEY_ERROR_COOLDOWN_MINUTES,
    upstreamConnectTimeoutMs: env.UPSTREAM_CONNECT_TIMEOUT_MS,
    upstreamHeadersTimeoutMs: env.UPSTREAM_HEADERS_TIMEOUT_MS,
    upstreamBodyIdleTimeoutMs: env.UPSTREAM_BODY_IDLE_TIMEOUT_MS,
    bodyLimitBytes: Math.floor(env.BODY_LIMIT_MB * 1024 * 1024),
    clientBodyIdleTimeoutMs: env.CLIENT_BODY_IDLE_TIMEOUT_MS,
    clientHeadersTimeoutMs: env.CLIENT_HEADERS_TIMEOUT_MS,
    clientRequestTimeoutMs: env.CLIENT_REQUEST_TIMEOUT_MS,
    egressDirect: env.EGRESS_DIRECT,
    egressDirectAddress: env.EGRESS_DIRECT_ADDRESS,
    egressProxies: env.EGRESS_PROXIES,
    egressBlockCodes: env.EGRESS_BLOCK_CODES,
    egressBlockMinutes: env.EGRESS_BLOCK_MINUTES,
    logRetentionDays: env.LOG_RETENTION_DAYS,
    encryptionKey: env.ENCRYPTION_KEY,
    trustProxy: env.TRUST_PROXY,
    corsOrigins: env.CORS_ORIGINS,
    shutdownGraceMs: env.SHUTDOWN_GRACE_SECONDS * 1000,
    logLevel: env.LOG_LEVEL,
    nodeEnv: env.NODE_ENV,
  }
}

/** Raised when a setting is invalid; `message` is the one line printed before the process exits. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  constructor(
    readonly variable: string,
    readonly reason: string,
  ) {
    super(`Invalid setting ${variable}: ${reason}`)
  }
}

/**
 * The head is part of the request, so its limit cannot be the longer one (Node refuses that too).
 * The variable blamed is the one that was set: a default is never the mistake.
 */
function checkClientTimeouts(data: Env, env: Record<string, string>): void {
  const headersMs = data.CLIENT_HEADERS_TIMEOUT_MS
  const requestMs = data.CLIENT_REQUEST_TIMEOUT_MS
  if (requestMs === 0 || headersMs <= requestMs) return
  if (env.CLIENT_HEADERS_TIMEOUT_MS !== undefined) {
    throw new ConfigError(
      'CLIENT_HEADERS_TIMEOUT_MS',
      `must not be more than CLIENT_REQUEST_TIMEOUT_MS (${requestMs}) (got ${JSON.stringify(env.CLIENT_HEADERS_TIMEOUT_MS)})`,
    )
  }
  throw new ConfigError(
    'CLIENT_REQUEST_TIMEOUT_MS',
    `must be 0 (off) or at least CLIENT_HEADERS_TIMEOUT_MS (${headersMs}) (got ${JSON.stringify(env.CLIENT_REQUEST_TIMEOUT_MS)})`,
  )
}

/**
 * The old siliconflowProxy's names for two settings (its installer writes UPSTREAM_TIMEOUT_MS).
 * Not settings of their own: each is read as the new one when that is unset. Old -> new.
 */
export const SETTING_ALIASES = {
  UPSTREAM_TIMEOUT_MS: 'UPSTREAM_HEADERS_TIMEOUT_MS',
  CLIENT_SOCKET_TIMEOUT_MS: 'CLIENT_REQUEST_TIMEOUT_MS',
} as const

export interface ParseConfigOptions {
  /** Told one line per old name in use (what it is read as, or that it was ignored). */
  notice?: (line: string) => void
}

/**
 * Reads the old names into `env` where the new one is unset. Returns new name -> old name for
 * those read, so a bad value is blamed on the variable the user actually wrote.
 */
function applyAliases(
  source: Record<string, string | undefined>,
  env: Record<string, string>,
  notice: (line: string) => void,
): Map<string, string> {
  const readAs = new Map<string, string>()
  for (const [old, current] of Object.entries(SETTING_ALIASES)) {
    const value = source[old]
    if (value === undefined || value.trim() === '') continue
    if (env[current] !== undefined) {
      notice(`${old} is ignored: ${current} is set and wins (${old} is the old name; remove it)`)
      continue
    }
    env[current] = value
    readAs.set(current, old)
    notice(`${old}=${value.trim()} is read as ${current} (the old name still works; rename it)`)
  }
  return readAs
}

/**
 * Parse settings from an environment. Empty strings count as unset, so `FOO=` in a compose file
 * falls back to the default. Throws `ConfigError` for the first bad variable.
 */
export function parseConfig(
  source: Record<string, string | undefined>,
  { notice = () => {} }: ParseConfigOptions = {},
): Config {
  const env: Record<string, string> = {}
  for (const name of Object.keys(envSchema.shape)) {
    const value = source[name]
    if (value === undefined) continue
    if (value.trim() !== '' || EMPTY_MEANS_NONE.has(name)) env[name] = value
  }
  const readAs = applyAliases(source, env, notice)
  const blamed = (variable: string, reason: string) => {
    const old = readAs.get(variable)
    return old === undefined
      ? new ConfigError(variable, reason)
      : new ConfigError(old, `${reason} (read as ${variable})`)
  }
  const result = envSchema.safeParse(env)
  if (!result.success) {
    const issue = result.error.issues[0]
    const variable = String(issue?.path[0] ?? 'environment')
    const secret = (SECRET_SETTINGS as readonly string[]).includes(variable)
    const got =
      secret || env[variable] === undefined ? '' : ` (got ${JSON.stringify(env[variable])})`
    throw blamed(variable, `${issue?.message ?? 'is invalid'}${got}`)
  }
  try {
    checkClientTimeouts(result.data, env)
  } catch (error) {
    throw error instanceof ConfigError ? blamed(error.variable, error.reason) : error
  }
  return toConfig(result.data)
}

/** The settings as `GET /api/manage/config` shows them: secrets replaced by whether they are set. */
export const configViewSchema = z.object({
  settings: z.array(
    z.object({
      name: z.string(),
      value: z.union([z.string(), z.number(), z.boolean()]),
      secret: z.boolean(),
    }),
  ),
})
export type ConfigView = z.infer<typeof configViewSchema>

export function redactConfig(config: Config): ConfigView {
  const secretState = (value: string | undefined) => (value === undefined ? '(not set)' : '(set)')
  const settings: ConfigView['settings'] = [
    { name: 'PORT', value: config.port, secret: false },
    { name: 'HOST', value: config.host, secret: false },
    { name: 'DATA_DIR', value: config.dataDir, secret: false },
    {
      name: 'ADMIN_PASSWORD',
      value: config.adminPassword === undefined ? '(generated, hash stored)' : '(set)',
      secret: true,
    },
    {
      name: 'PROXY_API_KEYS',
      value: `(${config.proxyApiKeys.length} key${config.proxyApiKeys.length === 1 ? '' : 's'})`,
      secret: true,
    },
    { name: 'UPSTREAM_BASE_URL', value: config.upstreamBaseUrl, secret: false },
    {
      name: 'AUTO_QUERY_BALANCE_AFTER_CALLS',
      value: config.autoQueryBalanceAfterCalls,
      secret: false,
    },
    { name: 'LOW_BALANCE_THRESHOLD', value: config.lowBalanceThreshold, secret: false },
    { name: 'BALANCE_REFRESH_MINUTES', value: config.balanceRefreshMinutes, secret: false },
    { name: 'DISPATCH_CONCURRENCY', value: config.dispatchConcurrency, secret: false },
    { name: 'DISPATCH_QUEUE_MAX', value: config.dispatchQueueMax, secret: false },
    { name: 'DISPATCH_QUEUE_TIMEOUT_MS', value: config.dispatchQueueTimeoutMs, secret: false },
    { name: 'KEY_SWITCH_GUARD_MINUTES', value: config.keySwitchGuardMinutes, secret: false },
    { name: 'KEY_SWITCH_POLICY', value: config.keySwitchPolicy, secret: false },
    { name: 'UPSTREAM_RETRIES', value: config.upstreamRetries, secret: false },
    { name: 'KEY_ERROR_THRESHOLD', value: config.keyErrorThreshold, secret: false },
    { name: 'KEY_ERROR_COOLDOWN_MINUTES', value: config.keyErrorCooldownMinutes, secret: false },
    { name: 'UPSTREAM_CONNECT_TIMEOUT_MS', value: config.upstreamConnectTimeoutMs, secret: false },
    { name: 'UPSTREAM_HEADERS_TIMEOUT_MS', value: config.upstreamHeadersTimeoutMs, secret: false },
    {
      name: 'UPSTREAM_BODY_IDLE_TIMEOUT_MS',
      value: config.upstreamBodyIdleTimeoutMs,
      secret: false,
    },
    { name: 'BODY_LIMIT_MB', value: config.bodyLimitBytes / (1024 * 1024), secret: false },
    {
      name: 'CLIENT_BODY_IDLE_TIMEOUT_MS',
      value: config.clientBodyIdleTimeoutMs,
      secret: false,
    },
    { name: 'CLIENT_HEADERS_TIMEOUT_MS', value: config.clientHeadersTimeoutMs, secret: false },
    { name: 'CLIENT_REQUEST_TIMEOUT_MS', value: config.clientRequestTimeoutMs, secret: false },
    { name: 'EGRESS_DIRECT', value: config.egressDirect, secret: false },
    {
      name: 'EGRESS_DIRECT_ADDRESS',
      value: config.egressDirectAddress ?? '(not set)',
      secret: false,
    },
    {
      name: 'EGRESS_PROXIES',
      value: config.egressProxies
        .map((proxy) => displayProxyUrl({ ...proxy, hasPassword: proxy.password !== null }))
        .join(','),
      secret: true,
    },
    {
      name: 'EGRESS_BLOCK_CODES',
      value: config.egressBlockCodes.length === 0 ? '(none)' : config.egressBlockCodes.join(','),
      secret: false,
    },
    { name: 'EGRESS_BLOCK_MINUTES', value: config.egressBlockMinutes, secret: false },
    { name: 'LOG_RETENTION_DAYS', value: config.logRetentionDays, secret: false },
    { name: 'ENCRYPTION_KEY', value: secretState(config.encryptionKey), secret: true },
    { name: 'TRUST_PROXY', value: config.trustProxy, secret: false },
    {
      name: 'CORS_ORIGINS',
      value: config.corsOrigins === '*' ? '*' : config.corsOrigins.join(','),
      secret: false,
    },
    { name: 'SHUTDOWN_GRACE_SECONDS', value: config.shutdownGraceMs / 1000, secret: false },
    { name: 'LOG_LEVEL', value: config.logLevel, secret: false },
    { name: 'NODE_ENV', value: config.nodeEnv, secret: false },
  ]
  return { settings }
}
