import { describe, expect, it } from 'vitest'
import { ConfigError, envSchema, parseConfig, redactConfig } from '../src/config.js'

function configError(env: Record<string, string>): ConfigError {
  try {
    parseConfig(env)
  } catch (error) {
    if (error instanceof ConfigError) return error
    throw error
  }
  throw new Error('expected a ConfigError')
}

describe('parseConfig', () => {
  it('gives every documented default for an empty environment', () => {
    expect(parseConfig({})).toEqual({
      port: 3000,
      host: '0.0.0.0',
      dataDir: './data',
      adminPassword: undefined,
      proxyApiKeys: [],
      upstreamBaseUrl: 'https://api.siliconflow.cn',
      autoQueryBalanceAfterCalls: 10,
      lowBalanceThreshold: 1,
      balanceRefreshMinutes: 60,
      dispatchConcurrency: 1,
      dispatchQueueMax: 100,
      clientQueueShare: 0.5,
      dispatchQueueTimeoutMs: 600_000,
      keySwitchGuardMinutes: 30,
      keySwitchPolicy: 'wait',
      upstreamRetries: 2,
      keyErrorThreshold: 5,
      keyErrorCooldownMinutes: 10,
      upstreamConnectTimeoutMs: 10_000,
      upstreamHeadersTimeoutMs: 300_000,
      upstreamBodyIdleTimeoutMs: 300_000,
      bodyLimitBytes: 50 * 1024 * 1024,
      clientBodyIdleTimeoutMs: 30_000,
      clientHeadersTimeoutMs: 30_000,
      clientRequestTimeoutMs: 300_000,
      egressDirect: true,
      egressDirectAddress: undefined,
      egressProxies: [],
      egressBlockCodes: [50603],
      egressBlockMinutes: 30,
      databaseUrl: undefined,
      instanceId: undefined,
      leaseSeconds: 15,
      logRetentionDays: 30,
      encryptionKey: undefined,
      trustProxy: false,
      corsOrigins: '*',
      shutdownGraceMs: 30_000,
      logLevel: 'info',
      nodeEnv: 'production',
    })
  })

  it('reads the cluster settings and refuses a DATABASE_URL that is not PostgreSQL without echoing it', () => {
    expect(
      parseConfig({
        DATABASE_URL: 'postgres://sfp:s3cret@db:5432/sfp',
        INSTANCE_ID: 'edge-1',
        LEASE_SECONDS: '30',
      }),
    ).toMatchObject({
      databaseUrl: 'postgres://sfp:s3cret@db:5432/sfp',
      instanceId: 'edge-1',
      leaseSeconds: 30,
    })
    const error = configError({ DATABASE_URL: 'mysql://sfp:s3cret@db/sfp' })
    expect(error.message).toContain('DATABASE_URL')
    expect(error.message).not.toContain('s3cret')
    expect(configError({ INSTANCE_ID: 'has space' }).message).toContain('INSTANCE_ID')
  })

  it('reads the egress settings: proxies parsed, block codes, an empty list meaning none', () => {
    const config = parseConfig({
      EGRESS_DIRECT: 'false',
      EGRESS_DIRECT_ADDRESS: '192.0.2.10',
      EGRESS_PROXIES: ' socks5h://u%40x:p%3As@[2001:db8::1]:1080 , http://10.0.0.2:3128 ',
      EGRESS_BLOCK_CODES: '50603, 50604,50603',
      EGRESS_BLOCK_MINUTES: '5',
      CLIENT_BODY_IDLE_TIMEOUT_MS: '1500',
    })
    expect(config).toMatchObject({
      egressDirect: false,
      egressDirectAddress: '192.0.2.10',
      egressBlockCodes: [50603, 50604],
      egressBlockMinutes: 5,
      clientBodyIdleTimeoutMs: 1500,
    })
    expect(config.egressProxies).toEqual([
      {
        kind: 'socks5',
        scheme: 'socks5h',
        host: '2001:db8::1',
        port: 1080,
        username: 'u@x',
        password: 'p:s',
      },
      {
        kind: 'http',
        scheme: 'http',
        host: '10.0.0.2',
        port: 3128,
        username: null,
        password: null,
      },
    ])
    expect(parseConfig({ EGRESS_BLOCK_CODES: '' }).egressBlockCodes).toEqual([])
    expect(parseConfig({ EGRESS_BLOCK_CODES: 'none' }).egressBlockCodes).toEqual([])
  })

  it.each([
    [
      'EGRESS_PROXIES',
      'ftp://10.0.0.1:21',
      'entry 1: the scheme must be http, https, socks5 or socks5h',
    ],
    ['EGRESS_PROXIES', 'http://ok:1,direct', 'entry 2: "direct" is not a proxy'],
    ['EGRESS_PROXIES', 'http://u:secret@10.0.0.1', 'entry 1: must be scheme://'],
    ['EGRESS_BLOCK_CODES', '50603,abc', 'must be whole numbers separated by commas'],
    ['EGRESS_DIRECT_ADDRESS', 'localhost', 'must be an IPv4 or IPv6 address'],
    ['EGRESS_DIRECT', 'maybe', 'must be true or false'],
  ])('refuses a bad %s naming it, never echoing a proxy URL', (name, value, reason) => {
    const error = (() => {
      try {
        parseConfig({ [name]: value })
      } catch (caught) {
        return caught as Error
      }
      throw new Error('expected a refusal')
    })()
    expect(error.message).toContain(`Invalid setting ${name}: ${reason}`)
    if (name === 'EGRESS_PROXIES') expect(error.message).not.toContain('secret')
  })

  it('reads the client receive timeouts: the head within the request, 0 switching the request limit off', () => {
    expect(
      parseConfig({ CLIENT_HEADERS_TIMEOUT_MS: '2000', CLIENT_REQUEST_TIMEOUT_MS: '5000' }),
    ).toMatchObject({ clientHeadersTimeoutMs: 2000, clientRequestTimeoutMs: 5000 })
    expect(parseConfig({ CLIENT_REQUEST_TIMEOUT_MS: '0' })).toMatchObject({
      clientHeadersTimeoutMs: 30_000,
      clientRequestTimeoutMs: 0,
    })
    // Equal is fine: the whole request may take as long as its head.
    expect(
      parseConfig({ CLIENT_HEADERS_TIMEOUT_MS: '1000', CLIENT_REQUEST_TIMEOUT_MS: '1000' }),
    ).toMatchObject({ clientHeadersTimeoutMs: 1000, clientRequestTimeoutMs: 1000 })
  })

  it.each([
    [
      { CLIENT_REQUEST_TIMEOUT_MS: '50' },
      'CLIENT_REQUEST_TIMEOUT_MS',
      'Invalid setting CLIENT_REQUEST_TIMEOUT_MS: must be 0 (off) or at least 100 (got "50")',
    ],
    [
      { CLIENT_HEADERS_TIMEOUT_MS: '0' },
      'CLIENT_HEADERS_TIMEOUT_MS',
      'Invalid setting CLIENT_HEADERS_TIMEOUT_MS: must be between 100 and 3600000 (got "0")',
    ],
    [
      { CLIENT_HEADERS_TIMEOUT_MS: '9000', CLIENT_REQUEST_TIMEOUT_MS: '5000' },
      'CLIENT_HEADERS_TIMEOUT_MS',
      'Invalid setting CLIENT_HEADERS_TIMEOUT_MS: must not be more than CLIENT_REQUEST_TIMEOUT_MS (5000) (got "9000")',
    ],
    // Only the request limit was set: the default head limit is not the mistake.
    [
      { CLIENT_REQUEST_TIMEOUT_MS: '5000' },
      'CLIENT_REQUEST_TIMEOUT_MS',
      'Invalid setting CLIENT_REQUEST_TIMEOUT_MS: must be 0 (off) or at least CLIENT_HEADERS_TIMEOUT_MS (30000) (got "5000")',
    ],
  ])('refuses client timeouts %j naming the variable that was set', (env, variable, message) => {
    const error = configError(env)
    expect(error.variable).toBe(variable)
    expect(error.message).toBe(message)
  })

  it('coerces strings and keeps given values', () => {
    const config = parseConfig({
      PORT: '8080',
      HOST: '127.0.0.1',
      DATA_DIR: '/var/lib/sfp',
      ADMIN_PASSWORD: 'correct horse',
      PROXY_API_KEYS: ' sk-client-one , sk-client-two,, ',
      UPSTREAM_BASE_URL: 'https://api.siliconflow.com/v1/',
      LOW_BALANCE_THRESHOLD: '0.5',
      DISPATCH_CONCURRENCY: '4',
      KEY_SWITCH_GUARD_MINUTES: '0',
      KEY_SWITCH_POLICY: 'immediate',
      BODY_LIMIT_MB: '1.5',
      ENCRYPTION_KEY: 'a'.repeat(64),
      TRUST_PROXY: 'TRUE',
      LOG_LEVEL: 'debug',
      NODE_ENV: 'development',
    })
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      dataDir: '/var/lib/sfp',
      adminPassword: 'correct horse',
      proxyApiKeys: ['sk-client-one', 'sk-client-two'],
      upstreamBaseUrl: 'https://api.siliconflow.com',
      lowBalanceThreshold: 0.5,
      dispatchConcurrency: 4,
      keySwitchGuardMinutes: 0,
      keySwitchPolicy: 'immediate',
      bodyLimitBytes: Math.floor(1.5 * 1024 * 1024),
      encryptionKey: 'a'.repeat(64),
      trustProxy: true,
      logLevel: 'debug',
      nodeEnv: 'development',
    })
  })

  it('treats empty strings as unset, as compose files produce them', () => {
    expect(parseConfig({ PORT: '', ADMIN_PASSWORD: '', TRUST_PROXY: ' ' })).toMatchObject({
      port: 3000,
      adminPassword: undefined,
      trustProxy: false,
    })
  })

  it('keeps a path prefix of the upstream base URL', () => {
    expect(parseConfig({ UPSTREAM_BASE_URL: 'http://127.0.0.1:9000/sf' }).upstreamBaseUrl).toBe(
      'http://127.0.0.1:9000/sf',
    )
  })

  it.each([
    ['PORT', 'abc', 'Invalid setting PORT: must be a number (got "abc")'],
    ['PORT', '70000', 'Invalid setting PORT: must be between 0 and 65535 (got "70000")'],
    ['PORT', '3.5', 'Invalid setting PORT: must be a whole number (got "3.5")'],
    [
      'DISPATCH_CONCURRENCY',
      '0',
      'Invalid setting DISPATCH_CONCURRENCY: must be between 1 and 1024 (got "0")',
    ],
    [
      'KEY_SWITCH_POLICY',
      'later',
      'Invalid setting KEY_SWITCH_POLICY: must be wait or immediate (got "later")',
    ],
    ['TRUST_PROXY', 'maybe', 'Invalid setting TRUST_PROXY: must be true or false (got "maybe")'],
    [
      'UPSTREAM_BASE_URL',
      'ftp://example.test',
      'Invalid setting UPSTREAM_BASE_URL: must be an http(s) URL such as https://api.siliconflow.cn (got "ftp://example.test")',
    ],
    [
      'LOG_LEVEL',
      'loud',
      'Invalid setting LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
    ],
  ])('rejects %s=%s with one line naming it', (variable, value, message) => {
    const error = configError({ [variable]: value })
    expect(error.variable).toBe(variable)
    expect(error.message).toBe(message)
  })

  it.each([
    ['ADMIN_PASSWORD', 'short'],
    ['ENCRYPTION_KEY', 'too-short'],
    ['PROXY_API_KEYS', 'ok-client-key,bad key here'],
  ])('never echoes the value of the secret %s', (variable, value) => {
    const error = configError({ [variable]: value })
    expect(error.variable).toBe(variable)
    expect(error.message).toMatch(new RegExp(`^Invalid setting ${variable}: `))
    expect(error.message).not.toContain(value)
  })
})

describe('redactConfig', () => {
  it('shows every setting but never a secret', () => {
    const config = parseConfig({
      ADMIN_PASSWORD: 'super-secret-password',
      PROXY_API_KEYS: 'sk-client-secret-1,sk-client-secret-2',
      ENCRYPTION_KEY: 'encryption-secret-0123456789',
    })
    const view = redactConfig(config)
    const text = JSON.stringify(view)
    expect(text).not.toContain('super-secret-password')
    expect(text).not.toContain('sk-client-secret')
    expect(text).not.toContain('encryption-secret')
    expect(view.settings.find((s) => s.name === 'PROXY_API_KEYS')?.value).toBe('(2 keys)')
    expect(view.settings.map((s) => s.name)).toContain('KEY_SWITCH_POLICY')
  })

  it('lists every setting of the environment schema once', () => {
    const names = redactConfig(parseConfig({})).settings.map((s) => s.name)
    expect(new Set(names).size).toBe(names.length)
    expect([...names].sort()).toEqual(Object.keys(envSchema.shape).sort())
    expect(names).toEqual(
      expect.arrayContaining(['CLIENT_HEADERS_TIMEOUT_MS', 'CLIENT_REQUEST_TIMEOUT_MS']),
    )
  })
})

describe('CORS_ORIGINS', () => {
  it('is * by default, when empty, and when set to *', () => {
    expect(parseConfig({}).corsOrigins).toBe('*')
    expect(parseConfig({ CORS_ORIGINS: '' }).corsOrigins).toBe('*')
    expect(parseConfig({ CORS_ORIGINS: ' * ' }).corsOrigins).toBe('*')
  })

  it('reads a comma-separated list of origins, spaces and repeats dropped', () => {
    const config = parseConfig({
      CORS_ORIGINS: ' https://chat.example.com, http://localhost:5173,,https://chat.example.com ',
    })
    expect(config.corsOrigins).toEqual(['https://chat.example.com', 'http://localhost:5173'])
    expect(redactConfig(config).settings).toContainEqual({
      name: 'CORS_ORIGINS',
      value: 'https://chat.example.com,http://localhost:5173',
      secret: false,
    })
    expect(redactConfig(parseConfig({})).settings).toContainEqual({
      name: 'CORS_ORIGINS',
      value: '*',
      secret: false,
    })
  })

  it.each([
    [
      'https://chat.example.com/',
      'entry 1: must be an origin such as https://chat.example.com (scheme://host[:port], no path); write it as https://chat.example.com',
    ],
    [
      'http://localhost:5173,https://Chat.Example.com',
      'entry 2: must be an origin such as https://chat.example.com (scheme://host[:port], no path); write it as https://chat.example.com',
    ],
    [
      'https://chat.example.com:443',
      'entry 1: must be an origin such as https://chat.example.com (scheme://host[:port], no path); write it as https://chat.example.com',
    ],
    [
      'https://chat.example.com/app',
      'entry 1: must be an origin such as https://chat.example.com (scheme://host[:port], no path)',
    ],
    [
      'chat.example.com',
      'entry 1: must be an origin such as https://chat.example.com (scheme://host[:port], no path)',
    ],
    [
      'file:///tmp/page.html',
      'entry 1: must be an origin such as https://chat.example.com (scheme://host[:port], no path)',
    ],
    [
      'null',
      'entry 1: must be an origin such as https://chat.example.com (scheme://host[:port], no path)',
    ],
    ['*,https://chat.example.com', 'entry 1: * stands alone (any origin), not in a list'],
    [',', 'must be * or a comma-separated list of origins'],
  ])('stops boot on CORS_ORIGINS=%s, naming the variable', (value, reason) => {
    const error = configError({ CORS_ORIGINS: value })
    expect(error.variable).toBe('CORS_ORIGINS')
    expect(error.message).toBe(
      `Invalid setting CORS_ORIGINS: ${reason} (got ${JSON.stringify(value)})`,
    )
  })
})

describe("the old program's setting names", () => {
  function parseWithNotices(env: Record<string, string>) {
    const notices: string[] = []
    const config = parseConfig(env, { notice: (line) => notices.push(line) })
    return { config, notices }
  }

  it('reads UPSTREAM_TIMEOUT_MS as UPSTREAM_HEADERS_TIMEOUT_MS, with one line saying so', () => {
    const { config, notices } = parseWithNotices({ UPSTREAM_TIMEOUT_MS: '600000' })
    expect(config.upstreamHeadersTimeoutMs).toBe(600_000)
    expect(notices).toEqual([
      'UPSTREAM_TIMEOUT_MS=600000 is read as UPSTREAM_HEADERS_TIMEOUT_MS (the old name still works; rename it)',
    ])
  })

  it('reads CLIENT_SOCKET_TIMEOUT_MS as CLIENT_REQUEST_TIMEOUT_MS, with one line saying so', () => {
    const { config, notices } = parseWithNotices({ CLIENT_SOCKET_TIMEOUT_MS: '900000' })
    expect(config.clientRequestTimeoutMs).toBe(900_000)
    expect(notices).toEqual([
      'CLIENT_SOCKET_TIMEOUT_MS=900000 is read as CLIENT_REQUEST_TIMEOUT_MS (the old name still works; rename it)',
    ])
  })

  it('lets the new name win when both are set, and says the old one was ignored', () => {
    const { config, notices } = parseWithNotices({
      UPSTREAM_TIMEOUT_MS: '600000',
      UPSTREAM_HEADERS_TIMEOUT_MS: '120000',
      CLIENT_SOCKET_TIMEOUT_MS: '900000',
      CLIENT_REQUEST_TIMEOUT_MS: '0',
    })
    expect(config.upstreamHeadersTimeoutMs).toBe(120_000)
    expect(config.clientRequestTimeoutMs).toBe(0)
    expect(notices).toEqual([
      'UPSTREAM_TIMEOUT_MS is ignored: UPSTREAM_HEADERS_TIMEOUT_MS is set and wins (UPSTREAM_TIMEOUT_MS is the old name; remove it)',
      'CLIENT_SOCKET_TIMEOUT_MS is ignored: CLIENT_REQUEST_TIMEOUT_MS is set and wins (CLIENT_SOCKET_TIMEOUT_MS is the old name; remove it)',
    ])
  })

  it('says nothing when no old name is used, and treats an empty old name as unset', () => {
    expect(parseWithNotices({}).notices).toEqual([])
    const { config, notices } = parseWithNotices({ UPSTREAM_TIMEOUT_MS: ' ' })
    expect(notices).toEqual([])
    expect(config.upstreamHeadersTimeoutMs).toBe(300_000)
  })

  it('checks an old name by the same rules and names it in the error', () => {
    expect(configError({ UPSTREAM_TIMEOUT_MS: 'ten minutes' }).message).toBe(
      'Invalid setting UPSTREAM_TIMEOUT_MS: must be a number (got "ten minutes") (read as UPSTREAM_HEADERS_TIMEOUT_MS)',
    )
    expect(configError({ UPSTREAM_TIMEOUT_MS: '0' }).variable).toBe('UPSTREAM_TIMEOUT_MS')
    // The cross-check with CLIENT_HEADERS_TIMEOUT_MS (30 s by default) blames the old name too.
    const error = configError({ CLIENT_SOCKET_TIMEOUT_MS: '10000' })
    expect(error.variable).toBe('CLIENT_SOCKET_TIMEOUT_MS')
    expect(error.message).toBe(
      'Invalid setting CLIENT_SOCKET_TIMEOUT_MS: must be 0 (off) or at least CLIENT_HEADERS_TIMEOUT_MS (30000) (got "10000") (read as CLIENT_REQUEST_TIMEOUT_MS)',
    )
  })

  it('does not add the old names to the settings the admin API shows', () => {
    const names = redactConfig(parseConfig({ UPSTREAM_TIMEOUT_MS: '600000' })).settings.map(
      (setting) => setting.name,
    )
    expect(names).not.toContain('UPSTREAM_TIMEOUT_MS')
    expect(names).not.toContain('CLIENT_SOCKET_TIMEOUT_MS')
    expect(Object.keys(envSchema.shape)).not.toContain('UPSTREAM_TIMEOUT_MS')
  })
})

describe('a short ADMIN_PASSWORD (the old program accepted `admin`)', () => {
  it('stops boot with one line saying why and what to do, never quoting the password', () => {
    const error = configError({ ADMIN_PASSWORD: 'admin' })
    expect(error.variable).toBe('ADMIN_PASSWORD')
    expect(error.message.split('\n')).toHaveLength(1)
    expect(error.message).toMatch(/^Invalid setting ADMIN_PASSWORD: must be at least 8 characters/)
    expect(error.message).toContain('accepted fewer, such as "admin"')
    expect(error.message).toContain('as their key keep working only once it is at least 8')
    expect(error.message).toContain('Set a longer ADMIN_PASSWORD in .env')
    expect(error.message).toContain('remove it to have one generated')
    expect(configError({ ADMIN_PASSWORD: 'hunter2' }).message).not.toContain('hunter2')
  })
})
