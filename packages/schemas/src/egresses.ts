import { z } from 'zod'
import { customRule, type EgressUrlProblemCode } from './errors.js'
import { explanationSchema } from './explanations.js'
import { decimalId } from './ids.js'

/** 4 or 6 for an IP literal, else 0 (like node:net's `isIP`; this package also runs in browsers). */
export function ipVersion(text: string): 0 | 4 | 6 {
  if (z.regexes.ipv4.test(text)) return 4
  return z.regexes.ipv6.test(text) ? 6 : 0
}

/**
 * Egresses: the ways out to SiliconFlow, one source IP each (README "Egress lanes"). `direct` is
 * this host's own network (optionally from a chosen local address); the others are proxies.
 */
export const EGRESS_KINDS = ['direct', 'http', 'https', 'socks5'] as const
export type EgressKind = (typeof EGRESS_KINDS)[number]

/** URL schemes a proxy egress may use; `socks5h` is shown and stored as such, its kind is `socks5`. */
export const EGRESS_PROXY_SCHEMES = ['http', 'https', 'socks5', 'socks5h'] as const
export type EgressProxyScheme = (typeof EGRESS_PROXY_SCHEMES)[number]

/**
 * `up`: usable. `down`: the way out failed (proxy refused, 407, SOCKS refusal, tunnel or TLS not
 * established); retried with backoff. `blocked`: upstream answered with an IP-block code; rests
 * until `blockedUntil`. `disabled`: by the admin (or EGRESS_DIRECT=false for the built-in one).
 */
export const EGRESS_STATES = ['up', 'down', 'blocked', 'disabled'] as const
export const egressStateSchema = z.enum(EGRESS_STATES)
export type EgressState = z.infer<typeof egressStateSchema>

/** Dashboard labels, Chinese first, English second. */
export const EGRESS_STATE_LABELS: Record<EgressState, { zh: string; en: string }> = {
  up: { zh: '正常', en: 'Up' },
  down: { zh: '不通', en: 'Down' },
  blocked: { zh: 'IP 被封', en: 'Blocked' },
  disabled: { zh: '已停用', en: 'Disabled' },
}

/** Longest egress URL accepted: a proxy URL with credentials is far shorter. */
export const EGRESS_URL_MAX = 2048
const LABEL_MAX = 100

/** A proxy egress URL, split into what the server stores (the password is a secret). */
export interface ParsedProxyUrl {
  kind: Exclude<EgressKind, 'direct'>
  scheme: EgressProxyScheme
  host: string
  port: number
  username: string | null
  password: string | null
}

export type ParsedEgressUrl = { kind: 'direct' } | ParsedProxyUrl

/** Why an egress URL was refused: the part that is wrong, as a code and in English words. */
export type EgressUrlProblem = { ok: false; problem: EgressUrlProblemCode; reason: string }

const problem = (code: EgressUrlProblemCode, reason: string): EgressUrlProblem => ({
  ok: false,
  problem: code,
  reason,
})

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i
/** `[userinfo@]host:port` then an optional lone `/`; the host may be an IPv6 literal in brackets. */
const AUTHORITY = /^(?:([^@/?#]*)@)?(\[[0-9a-fA-F:.]+\]|[^:/?#@[\]]+):([0-9]+)\/?$/
/** A DNS name or an IPv4 address: letters, digits, dots, hyphens. */
const HOST_NAME =
  /^(?=.{1,253}$)[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/

function decodePart(part: string): string | undefined {
  try {
    return decodeURIComponent(part)
  } catch {
    return undefined
  }
}

/**
 * Parse `direct` or a proxy URL (`http://`, `https://`, `socks5://`, `socks5h://`, optional
 * `user:password@`, a port always named: a proxy's port is not the scheme's default). Strict: no
 * path, query, fragment or spaces; credentials are percent-decoded.
 */
export function parseEgressUrl(input: string): ParsedEgressUrl | EgressUrlProblem {
  const text = input.trim()
  if (text.length === 0) return problem('empty', 'give "direct" or a proxy URL')
  if (text.length > EGRESS_URL_MAX) {
    return problem('too_long', `must be at most ${EGRESS_URL_MAX} characters`)
  }
  if (text.toLowerCase() === 'direct') return { kind: 'direct' }
  if (/\s/.test(text) || [...text].some((char) => char.charCodeAt(0) < 0x20 || char === '\u007f')) {
    return problem('spaces', 'must not contain spaces or control characters')
  }
  const schemeMatch = SCHEME.exec(text)
  if (!schemeMatch) {
    return problem('not_url', 'must be "direct" or a URL such as socks5://host:1080')
  }
  const scheme = (schemeMatch[1] ?? '').toLowerCase()
  if (!(EGRESS_PROXY_SCHEMES as readonly string[]).includes(scheme)) {
    return problem('scheme', 'the scheme must be http, https, socks5 or socks5h')
  }
  const authority = AUTHORITY.exec(text.slice(schemeMatch[0].length))
  if (!authority) {
    return problem(
      'shape',
      'must be scheme://[user:password@]host:port with the port named and nothing after it',
    )
  }
  const [, userinfo, rawHost = '', rawPort = ''] = authority
  const port = Number(rawPort)
  if (!Number.isInteger(port) || port < 1 || port > 65535 || rawPort.length > 5) {
    return problem('port', 'the port must be between 1 and 65535')
  }
  const bracketed = rawHost.startsWith('[')
  const host = (bracketed ? rawHost.slice(1, -1) : rawHost).toLowerCase()
  const validHost = bracketed ? ipVersion(host) === 6 : HOST_NAME.test(host)
  if (!validHost) return problem('host', 'the host is not a valid name or IP address')
  let username: string | null = null
  let password: string | null = null
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':')
    const user = decodePart(colon === -1 ? userinfo : userinfo.slice(0, colon))
    const pass = colon === -1 ? null : decodePart(userinfo.slice(colon + 1))
    if (user === undefined || pass === undefined) {
      return problem('encoding', 'the user name or password is not validly percent-encoded')
    }
    if (user.length === 0) return problem('user_empty', 'the user name is empty')
    if (user.length > 255 || (pass?.length ?? 0) > 255) {
      return problem(
        'credentials_long',
        'the user name and password must be at most 255 characters',
      )
    }
    username = user
    password = pass
  }
  const kind = scheme === 'socks5h' ? 'socks5' : (scheme as ParsedProxyUrl['kind'])
  return { kind, scheme: scheme as EgressProxyScheme, host, port, username, password }
}

export function isEgressUrlProblem(
  parsed: ParsedEgressUrl | EgressUrlProblem,
): parsed is EgressUrlProblem {
  return 'ok' in parsed
}

/** `host:port` with IPv6 literals in brackets. */
export function hostPort(host: string, port: number): string {
  return `${ipVersion(host) === 6 ? `[${host}]` : host}:${port}`
}

/**
 * A proxy URL as answers show it: the password replaced by `***` (the user name stays, so the
 * admin can tell two accounts of one proxy apart).
 */
export function displayProxyUrl(
  proxy: Omit<ParsedProxyUrl, 'kind' | 'password'> & {
    hasPassword: boolean
  },
): string {
  const user =
    proxy.username === null
      ? ''
      : `${encodeURIComponent(proxy.username)}${proxy.hasPassword ? ':***' : ''}@`
  return `${proxy.scheme}://${user}${hostPort(proxy.host, proxy.port)}`
}

const localAddressSchema = z
  .string()
  .trim()
  .max(64)
  .refine((value) => ipVersion(value) !== 0, {
    error: 'must be an IPv4 or IPv6 address of this host',
    ...customRule({ kind: 'local_address' }),
  })

const labelSchema = z
  .string()
  .trim()
  .max(LABEL_MAX, { error: `must be at most ${LABEL_MAX} characters` })

/** `POST /api/manage/egresses`. The URL is checked by `parseEgressUrl` (400 with field `url`). */
export const createEgressBodySchema = z.strictObject({
  url: z
    .string({ error: 'give "direct" or a proxy URL' })
    .max(EGRESS_URL_MAX, { error: `must be at most ${EGRESS_URL_MAX} characters` })
    .superRefine((value, ctx) => {
      const parsed = parseEgressUrl(value)
      if (!isEgressUrlProblem(parsed)) return
      const rule = { kind: 'egress_url', problem: parsed.problem } as const
      ctx.addIssue({ code: 'custom', message: parsed.reason, ...customRule(rule) })
    }),
  label: labelSchema.optional(),
  /** Only for `direct`: the local source address (hosts with several IPs). */
  localAddress: localAddressSchema.optional(),
})
export type CreateEgressBody = z.infer<typeof createEgressBodySchema>

export const patchEgressBodySchema = z
  .strictObject({
    enabled: z.boolean().optional(),
    label: labelSchema.nullable().optional(),
  })
  .refine((body) => body.enabled !== undefined || body.label !== undefined, {
    error: 'give enabled or label',
    ...customRule({ kind: 'one_of', fields: ['enabled', 'label'] }),
  })
export type PatchEgressBody = z.infer<typeof patchEgressBodySchema>

export const egressIdParamsSchema = z.object({ id: decimalId('an egress id') })

const isoTime = z.iso.datetime()

/** An egress as every answer shows it; never its proxy password. */
export const egressViewSchema = z.object({
  id: z.number().int(),
  label: z.string().nullable(),
  kind: z.enum(EGRESS_KINDS),
  /** `direct`, or the proxy URL with the password shown as `***`. */
  url: z.string(),
  localAddress: z.string().nullable(),
  enabled: z.boolean(),
  state: egressStateSchema,
  /** Why it is `down`, `blocked` or `disabled` (short, English; no secrets). */
  stateReason: z.string().nullable(),
  /** The same as a code the dashboard translates; null when up or stored before codes existed. */
  stateExplanation: explanationSchema.nullable(),
  blockedUntil: isoTime.nullable(),
  /** While `down`: when it is tried again. */
  retryAt: isoTime.nullable(),
  /** The key this lane uses (the one last sent through it). */
  currentKeyId: z.number().int().nullable(),
  lastUsedAt: isoTime.nullable(),
  /** Until then, sending another key through this egress is a switch inside the guard window. */
  nextSwitchAllowedAt: isoTime.nullable(),
  inFlight: z.number().int(),
  requestCount: z.number().int(),
  errorCount: z.number().int(),
  createdAt: isoTime,
})
export type EgressView = z.infer<typeof egressViewSchema>

export const listEgressesResponseSchema = z.object({ egresses: z.array(egressViewSchema) })
export type ListEgressesResponse = z.infer<typeof listEgressesResponseSchema>

/** `POST /api/manage/egresses/:id/check`: a connection to the upstream origin, no key sent. */
export const egressCheckResultSchema = z.object({
  ok: z.boolean(),
  latencyMs: z.number().int().nullable(),
  error: z.string().nullable(),
})
export type EgressCheckResult = z.infer<typeof egressCheckResultSchema>
