import { z } from 'zod'
import {
  placeholderText,
  SETTING_GROUPS,
  type SettingPlaceholder,
  type SettingShown,
  type Settings,
  settingEntries,
  settingPlaceholderSchema,
} from './settings.js'

export { KEY_SWITCH_POLICIES, type KeySwitchPolicy, LOG_LEVELS } from './setting-rules.js'

/**
 * Every setting of docs/behaviour.md §2, read from environment strings. `process.env` is read in
 * exactly one place (the server entry); everything else receives the parsed `Config`.
 */

type EnvShape = {
  [Name in keyof Settings]: Settings[Name] extends { rule: infer Rule extends z.ZodType }
    ? undefined extends Settings[Name]['default']
      ? z.ZodOptional<Rule>
      : z.ZodDefault<Rule>
    : never
}

/**
 * Environment variable name -> schema, from the declarations: a declared default (written as in
 * the environment) is read by the setting's own rule, so the two cannot disagree.
 */
export const envSchema = z.object(
  Object.fromEntries(
    settingEntries().map(([name, { rule, default: text }]) => [
      name,
      text === undefined ? rule.optional() : rule.default(() => rule.parse(text)),
    ]),
  ) as EnvShape,
)

/** Settings whose values must never be echoed back, not even in a validation message. */
export const SECRET_SETTINGS: readonly string[] = settingEntries()
  .filter(([, declaration]) => declaration.secret)
  .map(([name]) => name)

/** Settings for which an empty value means "none" rather than "unset, use the default". */
const EMPTY_MEANS_NONE = new Set<string>(
  settingEntries()
    .filter(([, declaration]) => declaration.emptyMeansNone === true)
    .map(([name]) => name),
)

type Env = z.output<typeof envSchema>

/** The parsed settings: one field per declaration, typed by its rule (and `toConfig`). */
export type Config = {
  [Name in keyof Settings as Settings[Name]['field']]: ReturnType<Settings[Name]['toConfig']>
}

function toConfig(env: Env): Config {
  const config: Record<string, unknown> = {}
  for (const [name, declaration] of settingEntries()) {
    config[declaration.field] = declaration.toConfig(env[name])
  }
  return config as Config
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

/** One setting as `redactConfig` shows it: secrets replaced by whether they are set. */
export interface RedactedSetting {
  name: string
  value: SettingShown
  secret: boolean
}

/** The settings as `GET /api/manage/config` shows them, each with its group and meaning. */
export const configViewSchema = z.object({
  settings: z.array(
    z.object({
      name: z.string(),
      value: z.union([z.string(), z.number(), z.boolean()]),
      secret: z.boolean(),
      /** Set when `value` is a placeholder (`(set)`, `(2 keys)`...): what it stands for. */
      placeholder: settingPlaceholderSchema.nullable(),
      group: z.enum(SETTING_GROUPS),
      description: z.object({ zh: z.string(), en: z.string() }),
    }),
  ),
})
export type ConfigView = z.infer<typeof configViewSchema>
export type ConfigViewSetting = ConfigView['settings'][number]

const shownText = (shown: SettingShown | SettingPlaceholder): SettingShown =>
  typeof shown === 'object' ? placeholderText(shown) : shown

/** Every setting in declaration order, its value as the declaration shows it. */
export function redactConfig(config: Config): { settings: RedactedSetting[] } {
  const values = config as unknown as Record<string, unknown>
  return {
    settings: settingEntries().map(([name, declaration]) => ({
      name,
      value: shownText(declaration.show(values[declaration.field])),
      secret: declaration.secret,
    })),
  }
}

/** `GET /api/manage/config`: `redactConfig` with each setting's group and zh/en description. */
export function configView(config: Config): ConfigView {
  const declarations = new Map(settingEntries())
  const values = config as unknown as Record<string, unknown>
  return {
    settings: redactConfig(config).settings.map((setting) => {
      const declaration = declarations.get(setting.name as keyof Settings)
      if (declaration === undefined) throw new Error(`undeclared setting ${setting.name}`)
      const shown = declaration.show(values[declaration.field])
      return {
        ...setting,
        placeholder: typeof shown === 'object' ? shown : null,
        group: declaration.group,
        description: declaration.description,
      }
    }),
  }
}
