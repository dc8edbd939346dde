import { readFileSync } from 'node:fs'
import { describe, expect, expectTypeOf, it } from 'vitest'
import {
  type Config,
  configView,
  configViewSchema,
  envSchema,
  parseConfig,
  redactConfig,
  SECRET_SETTINGS,
} from '../src/config.js'
import type { ParsedProxyUrl } from '../src/egresses.js'
import { SETTING_GROUPS, SETTINGS, settingEntries } from '../src/settings.js'
import {
  README_MARKERS,
  renderComposeEnvironment,
  renderSettingsTable,
  SETTINGS_DOC_FILES,
  updateCompose,
  updateReadme,
} from '../src/settings-docs.js'

const root = new URL('../../../', import.meta.url)
const read = (path: string) => readFileSync(new URL(path, root), 'utf8')

describe('the settings declarations', () => {
  it('derive the Config type field by field (a missing or retyped field fails typecheck)', () => {
    expectTypeOf<Config>().toEqualTypeOf<{
      port: number
      host: string
      dataDir: string
      trustProxy: boolean
      corsOrigins: '*' | string[]
      shutdownGraceMs: number
      nodeEnv: 'production' | 'development' | 'test'
      adminPassword: string | undefined
      proxyApiKeys: string[]
      encryptionKey: string | undefined
      upstreamBaseUrl: string
      upstreamRetries: number
      upstreamConnectTimeoutMs: number
      upstreamHeadersTimeoutMs: number
      upstreamBodyIdleTimeoutMs: number
      autoQueryBalanceAfterCalls: number
      lowBalanceThreshold: number
      balanceRefreshMinutes: number
      keyErrorThreshold: number
      keyErrorCooldownMinutes: number
      dispatchConcurrency: number
      dispatchQueueMax: number
      clientQueueShare: number
      dispatchQueueTimeoutMs: number
      keySwitchGuardMinutes: number
      keySwitchPolicy: 'wait' | 'immediate'
      bodyLimitBytes: number
      clientBodyIdleTimeoutMs: number
      clientHeadersTimeoutMs: number
      clientRequestTimeoutMs: number
      egressDirect: boolean
      egressDirectAddress: string | undefined
      egressProxies: ParsedProxyUrl[]
      egressBlockCodes: number[]
      egressBlockMinutes: number
      logRetentionDays: number
      databaseUrl: string | undefined
      instanceId: string | undefined
      leaseSeconds: number
      logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
    }>()
    const fields = settingEntries().map(([, declaration]) => declaration.field)
    expect(new Set(fields).size).toBe(fields.length)
    expect(Object.keys(parseConfig({})).sort()).toEqual([...fields].sort())
  })

  it('are the environment schema: one entry per declaration, nothing else', () => {
    expect(Object.keys(envSchema.shape)).toEqual(Object.keys(SETTINGS))
  })

  it('read each declared default by the setting’s own rule, as the default of parseConfig', () => {
    const defaults = parseConfig({}) as unknown as Record<string, unknown>
    for (const [name, declaration] of settingEntries()) {
      if (declaration.default === undefined) {
        expect(defaults[declaration.field], name).toBeUndefined()
        continue
      }
      const fromText = parseConfig({ [name]: declaration.default }) as unknown as Record<
        string,
        unknown
      >
      expect(fromText[declaration.field], name).toEqual(defaults[declaration.field])
    }
  })

  it('give every setting a known group and a zh and en description', () => {
    for (const [name, declaration] of settingEntries()) {
      expect(SETTING_GROUPS, name).toContain(declaration.group)
      expect(declaration.description.zh.length, name).toBeGreaterThan(1)
      expect(declaration.description.en.length, name).toBeGreaterThan(1)
    }
    // Every group is used, so the dashboard shows no empty heading.
    expect(new Set(settingEntries().map(([, d]) => d.group))).toEqual(new Set(SETTING_GROUPS))
  })

  it('mark the secrets that are never echoed', () => {
    expect([...SECRET_SETTINGS].sort()).toEqual([
      'ADMIN_PASSWORD',
      'DATABASE_URL',
      'EGRESS_PROXIES',
      'ENCRYPTION_KEY',
      'PROXY_API_KEYS',
    ])
  })
})

describe('configView (GET /api/manage/config)', () => {
  const config = parseConfig({
    ADMIN_PASSWORD: 'super-secret-password',
    PROXY_API_KEYS: 'sk-client-secret-1',
    ENCRYPTION_KEY: 'encryption-secret-0123456789',
    EGRESS_PROXIES: 'http://user:proxy-secret@10.0.0.2:3128',
    EGRESS_DIRECT_ADDRESS: '192.0.2.10',
    CORS_ORIGINS: 'https://chat.example.com',
    EGRESS_BLOCK_CODES: '',
  })

  it('adds each setting’s group and zh/en description to the redacted values', () => {
    const view = configViewSchema.parse(configView(config))
    expect(view.settings.map(({ name, value, secret }) => ({ name, value, secret }))).toEqual(
      redactConfig(config).settings,
    )
    for (const setting of view.settings) {
      const declaration = SETTINGS[setting.name as keyof typeof SETTINGS]
      expect(setting.group).toBe(declaration.group)
      expect(setting.description).toEqual(declaration.description)
    }
    expect(view.settings.find((s) => s.name === 'PORT')).toEqual({
      name: 'PORT',
      value: 3000,
      secret: false,
      placeholder: null,
      group: 'server',
      description: { zh: '监听端口', en: 'listen port' },
    })
  })

  it('shows every value as a string, number or boolean, and no secret', () => {
    const text = JSON.stringify(configView(config))
    for (const secret of ['super-secret-password', 'sk-client-secret', 'encryption-secret']) {
      expect(text).not.toContain(secret)
    }
    expect(text).not.toContain('proxy-secret')
    const value = (name: string) => configView(config).settings.find((s) => s.name === name)?.value
    expect(value('EGRESS_PROXIES')).toBe('http://user:***@10.0.0.2:3128')
    expect(value('ENCRYPTION_KEY')).toBe('(set)')
    expect(value('EGRESS_DIRECT_ADDRESS')).toBe('192.0.2.10')
    expect(value('EGRESS_BLOCK_CODES')).toBe('(none)')
    expect(value('BODY_LIMIT_MB')).toBe(50)
    expect(value('SHUTDOWN_GRACE_SECONDS')).toBe(30)
    expect(configViewSchema.safeParse(configView(parseConfig({}))).success).toBe(true)
  })

  it('says what a placeholder stands for, as a code beside its English value', () => {
    const shown = (name: string, from = config) =>
      configView(from).settings.find((s) => s.name === name)
    expect(shown('ENCRYPTION_KEY')).toMatchObject({ value: '(set)', placeholder: { kind: 'set' } })
    expect(shown('PROXY_API_KEYS')).toMatchObject({
      value: '(1 key)',
      placeholder: { kind: 'keys', count: 1 },
    })
    expect(shown('EGRESS_BLOCK_CODES')).toMatchObject({ placeholder: { kind: 'none' } })
    expect(shown('EGRESS_DIRECT_ADDRESS')).toMatchObject({ placeholder: null })
    const defaults = parseConfig({})
    expect(shown('ADMIN_PASSWORD', defaults)).toMatchObject({
      value: '(generated, hash stored)',
      placeholder: { kind: 'generated' },
    })
    expect(shown('EGRESS_DIRECT_ADDRESS', defaults)).toMatchObject({
      value: '(not set)',
      placeholder: { kind: 'not_set' },
    })
    expect(shown('PORT', defaults)).toMatchObject({ value: 3000, placeholder: null })
  })
})

describe('the files derived from the declarations', () => {
  it.each(SETTINGS_DOC_FILES.map((file) => [file.path, file.update] as const))(
    '%s is what `pnpm settings:readme` writes (run it after changing a setting)',
    (path, update) => {
      const text = read(path)
      expect(update(text)).toBe(text)
    },
  )

  it('the README table has one row per setting with its default and English description', () => {
    const readme = read('README.md')
    const table = readme.slice(
      readme.indexOf(README_MARKERS.start),
      readme.indexOf(README_MARKERS.end),
    )
    for (const [name, declaration] of settingEntries()) {
      const row = table.split('\n').find((line) => line.startsWith(`| \`${name}\` |`))
      expect(row, name).toBeDefined()
      expect(row).toContain(declaration.description.en)
      if (declaration.default) expect(row).toContain(`| \`${declaration.default}\` |`)
    }
  })

  it.each(['docker/docker-compose.yml', 'docker/docker-compose.prod.yml'])(
    '%s passes every setting on with its default, or fixes it for the image',
    (path) => {
      const lines = read(path)
        .split('\n')
        .map((line) => line.trim())
      for (const [name, declaration] of settingEntries()) {
        const expected =
          declaration.container !== undefined
            ? `${name}: ${declaration.container}`
            : declaration.emptyMeansNone
              ? `${name}: \${${name}-${declaration.default ?? ''}}`
              : `${name}: \${${name}:-${declaration.default ?? ''}}`
        expect(lines, path).toContain(expected)
      }
    },
  )

  it('rewrites a stale table or list between the markers and refuses a file without them', () => {
    const stale = `# Settings\n\n${README_MARKERS.start}\n| old | table |\n${README_MARKERS.end}\nafter\n`
    expect(updateReadme(stale)).toBe(
      `# Settings\n\n${README_MARKERS.start}\n${renderSettingsTable()}\n${README_MARKERS.end}\nafter\n`,
    )
    const compose = '    environment:\n      # settings:start\n      OLD: 1\n      # settings:end\n'
    expect(updateCompose(compose)).toBe(
      `    environment:\n      # settings:start\n${renderComposeEnvironment('      ')}\n      # settings:end\n`,
    )
    expect(() => updateReadme('no markers here')).toThrow(/settings:start/)
  })
})
