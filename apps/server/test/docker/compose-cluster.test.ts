import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseConfig, settingEntries } from '@sfp/schemas'
import { describe, expect, it } from 'vitest'

/**
 * docker/docker-compose.cluster.yml and docker/nginx.cluster.conf stay true to cluster mode
 * (README "集群模式 / Cluster mode"): two instances with their own INSTANCE_ID on one database,
 * sealed with one ENCRYPTION_KEY, both behind nginx. Nothing is started: the files are read.
 */

const DOCKER = new URL('../../../../docker/', import.meta.url)
const read = (name: string) => readFileSync(fileURLToPath(new URL(name, DOCKER)), 'utf8')

type Yaml = string | Yaml[] | { [key: string]: Yaml }
type YamlMap = { [key: string]: Yaml }

interface Line {
  indent: number
  text: string
  number: number
}

/**
 * The YAML these compose files use, and no more (the workspace has no YAML parser): block
 * mappings and sequences of scalars, quoted or plain scalars, `&anchor` on a mapping, `*alias`
 * and `<<: *alias` merges (explicit keys win). Anything else throws rather than being misread.
 */
function parseYaml(text: string): YamlMap {
  const lines: Line[] = []
  text.split('\n').forEach((raw, index) => {
    const trimmed = raw.trim()
    if (trimmed === '' || trimmed.startsWith('#')) return
    lines.push({ indent: raw.length - raw.trimStart().length, text: trimmed, number: index + 1 })
  })
  const anchors = new Map<string, Yaml>()
  const fail = (line: Line | undefined, why: string): never => {
    throw new Error(`line ${line?.number ?? 'end'}: ${why}`)
  }
  const alias = (line: Line, name: string): Yaml =>
    anchors.get(name) ?? fail(line, `unknown alias *${name}`)
  const scalar = (line: Line, value: string): Yaml => {
    if (value.startsWith('*')) return alias(line, value.slice(1))
    const quoted = /^"(.*)"$/.exec(value) ?? /^'(.*)'$/.exec(value)
    return quoted?.[1] ?? value
  }

  function block(start: number, indent: number): [Yaml, number] {
    const first = lines[start] ?? fail(undefined, 'a block is missing')
    if (first.text.startsWith('- ')) {
      const items: Yaml[] = []
      let at = start
      for (let line = lines[at]; line?.indent === indent && line.text.startsWith('- '); ) {
        items.push(scalar(line, line.text.slice(2).trim()))
        line = lines[++at]
      }
      return [items, at]
    }
    const merged: YamlMap = {}
    const own: YamlMap = {}
    let at = start
    for (let line = lines[at]; line !== undefined && line.indent >= indent; line = lines[at]) {
      if (line.indent > indent) fail(line, 'unexpected indentation')
      const match = /^([\w.<-]+):(?:\s+(.*))?$/.exec(line.text) ?? fail(line, 'not `key: value`')
      const [, key = '', rest = ''] = match
      at += 1
      if (key === '<<') {
        const source = alias(line, rest.replace(/^\*/, ''))
        if (typeof source !== 'object' || Array.isArray(source)) fail(line, 'merge of a non-map')
        Object.assign(merged, source)
      } else if (rest === '' || rest.startsWith('&')) {
        const child = lines[at]
        if (child === undefined || child.indent <= indent) {
          // `name:` alone, as a named volume is declared.
          if (rest !== '') fail(line, `the anchored ${key} has no value`)
          own[key] = {}
          continue
        }
        const [value, next] = block(at, child.indent)
        if (rest.startsWith('&')) anchors.set(rest.slice(1), value)
        own[key] = value
        at = next
      } else {
        own[key] = scalar(line, rest)
      }
    }
    return [{ ...merged, ...own }, at]
  }

  const [root, end] = block(0, 0)
  if (end !== lines.length) fail(lines[end], 'left unread')
  return root as YamlMap
}

function map(value: Yaml | undefined, what: string): YamlMap {
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`${what} is not a map`)
  return value
}

/**
 * Compose's interpolation: `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `${NAME:?message}`.
 */
function interpolate(value: string, variables: Record<string, string>): string {
  const reference = /\$\{(\w+)(?:(:?)([-?])([^}]*))?\}/g
  return value.replace(
    reference,
    (_match, name: string, colon?: string, kind?: string, word?: string) => {
      const set = variables[name]
      const missing = colon === ':' ? set === undefined || set === '' : set === undefined
      if (!missing) return set ?? ''
      if (kind === '?') throw new Error(`${name} is required: ${word}`)
      return word ?? ''
    },
  )
}

const compose = parseYaml(read('docker-compose.cluster.yml'))
const services = map(compose.services, 'services')
const instanceNames = Object.keys(services).filter(
  (name) => map(map(services[name], name).build ?? {}, 'build').dockerfile === 'docker/Dockerfile',
)
const instance = (name: string) => map(services[name], name)
const environmentOf = (name: string) => map(instance(name).environment, `${name}.environment`)
const nginxConf = read('nginx.cluster.conf')

/** What a user sets (README): the three secrets, nothing else. */
const REQUIRED = {
  ENCRYPTION_KEY: 'a'.repeat(64),
  ADMIN_PASSWORD: 'cluster-admin-password',
  POSTGRES_PASSWORD: 'postgrespassword',
}

function configOf(name: string, variables: Record<string, string> = REQUIRED) {
  const environment: Record<string, string> = {}
  for (const [key, value] of Object.entries(environmentOf(name))) {
    if (typeof value !== 'string') throw new Error(`${name}.environment.${key} is not a scalar`)
    environment[key] = interpolate(value, variables)
  }
  return parseConfig(environment)
}

describe('docker/docker-compose.cluster.yml', () => {
  it('runs two instances built like docker-compose.yml, each with a valid config of its own', () => {
    expect(instanceNames).toEqual(['sfp-a', 'sfp-b'])
    const single = map(parseYaml(read('docker-compose.yml')).services, 'services')
    const singleBuild = map(map(single['siliconflow-proxy'], 'single').build, 'build')
    for (const name of instanceNames) {
      expect(instance(name).build, name).toEqual(singleBuild)
      // Reached through nginx alone, which is what makes TRUST_PROXY safe.
      expect(instance(name).ports, name).toBeUndefined()
      expect(configOf(name).trustProxy, name).toBe(true)
    }
  })

  it('gives each instance its own INSTANCE_ID and all of them the same database and secrets', () => {
    const configs = instanceNames.map((name) => configOf(name))
    expect(configs.map((config) => config.instanceId)).toEqual(['sfp-a', 'sfp-b'])
    const [first, ...others] = configs
    expect(first?.databaseUrl).toBe('postgres://sfp:postgrespassword@postgres:5432/sfp')
    for (const config of others) {
      expect(config.databaseUrl).toBe(first?.databaseUrl)
      expect(config.encryptionKey).toBe(first?.encryptionKey)
      expect(config.adminPassword).toBe(first?.adminPassword)
      expect(config.proxyApiKeys).toEqual(first?.proxyApiKeys)
    }
  })

  it('refuses to start an instance without ENCRYPTION_KEY, ADMIN_PASSWORD or POSTGRES_PASSWORD', () => {
    for (const name of instanceNames) {
      for (const missing of Object.keys(REQUIRED)) {
        const variables: Record<string, string> = { ...REQUIRED }
        delete variables[missing]
        expect(() => configOf(name, variables), `${name} without ${missing}`).toThrow(
          `${missing} is required`,
        )
      }
    }
  })

  it('keeps to one direct lane by default: both containers leave through one IP', () => {
    const direct = instanceNames.filter((name) => configOf(name).egressDirect)
    expect(direct).toEqual(['sfp-a'])
  })

  it('starts the instances once PostgreSQL answers, and keeps its data in a volume', () => {
    const postgres = instance('postgres')
    expect(postgres.image).toBe('postgres:15')
    expect(map(postgres.healthcheck, 'healthcheck').test).toContain('pg_isready -U sfp -d sfp')
    const environment = map(postgres.environment, 'postgres.environment')
    expect([environment.POSTGRES_USER, environment.POSTGRES_DB]).toEqual(['sfp', 'sfp'])
    expect(postgres.volumes).toEqual(['sfp-postgres:/var/lib/postgresql/data'])
    expect(Object.keys(map(compose.volumes, 'volumes'))).toEqual(['sfp-postgres'])
    for (const name of instanceNames) {
      expect(instance(name).depends_on, name).toEqual({
        postgres: { condition: 'service_healthy' },
      })
    }
  })

  it('passes every other setting on with its default, as docker-compose.yml does', () => {
    for (const name of instanceNames) {
      const environment = environmentOf(name)
      for (const [setting] of settingEntries()) {
        expect(environment[setting], `${name} ${setting}`).toBeDefined()
      }
    }
    const shared = map(compose['x-sfp-settings'], 'x-sfp-settings')
    for (const [setting, declaration] of settingEntries()) {
      const expected =
        declaration.container !== undefined
          ? declaration.container
          : declaration.emptyMeansNone
            ? `\${${setting}-${declaration.default ?? ''}}`
            : `\${${setting}:-${declaration.default ?? ''}}`
      expect(shared[setting], `${setting} in x-sfp-settings`).toBe(expected)
    }
  })
})

describe('docker/nginx.cluster.conf', () => {
  it('is the one published port, in front of exactly the instances', () => {
    const nginx = instance('nginx')
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's interpolation, not JavaScript's
    expect(nginx.ports).toEqual(['${PORT:-3000}:80'])
    expect(nginx.volumes).toEqual(['./nginx.cluster.conf:/etc/nginx/conf.d/default.conf:ro'])
    const published = Object.keys(services).filter((name) => instance(name).ports !== undefined)
    expect(published).toEqual(['nginx'])
    const upstream = /upstream siliconflow_proxy \{([^}]*)\}/.exec(nginxConf)?.[1] ?? ''
    const servers = [...upstream.matchAll(/^\s*server\s+([\w.-]+):(\d+)/gm)]
    expect(servers.map(([, host, port]) => `${host}:${port}`)).toEqual(
      instanceNames.map((name) => `${name}:3000`),
    )
    expect(nginxConf).toMatch(/^\s*proxy_pass http:\/\/siliconflow_proxy;$/m)
  })

  it('streams, waits for slow answers, takes large uploads and says who the client is', () => {
    const directive = (name: string) =>
      new RegExp(`^\\s*${name}\\s+([^;]+);`, 'm').exec(nginxConf)?.[1]
    expect(directive('proxy_buffering')).toBe('off')
    expect(directive('proxy_set_header X-Forwarded-For')).toBe('$proxy_add_x_forwarded_for')
    expect(Number.parseInt(directive('proxy_read_timeout') ?? '0', 10)).toBeGreaterThanOrEqual(600)
    const bodyLimitMb = Number(
      settingEntries().find(([name]) => name === 'BODY_LIMIT_MB')?.[1].default,
    )
    expect(Number.parseInt(directive('client_max_body_size') ?? '0', 10)).toBeGreaterThan(
      bodyLimitMb,
    )
  })
})

describe('parseYaml', () => {
  it('merges an anchored map under explicit keys and refuses what it does not read', () => {
    const text =
      'base: &base\n  A: "1"\n  B: two\nuse:\n  <<: *base\n  B: three\n  list:\n    - x\n'
    expect(parseYaml(text).use).toEqual({ A: '1', B: 'three', list: ['x'] })
    expect(() => parseYaml('a: [1,\n  2]\n')).toThrow(/line 2/)
    expect(() => parseYaml('a: *missing\n')).toThrow(/unknown alias/)
  })

  it('interpolates like compose, refusing a required variable that is unset or empty', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's interpolation, not JavaScript's
    expect(interpolate('${A:-x} ${B-y} ${C:-z}', { A: '', B: '', C: 'c' })).toBe('x  c')
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's interpolation, not JavaScript's
    expect(() => interpolate('${A:?set A}', { A: '' })).toThrow('A is required: set A')
  })
})
