import { z } from 'zod'
import { isEgressUrlProblem, type ParsedProxyUrl, parseEgressUrl } from './egresses.js'

/**
 * The rules settings are read by, from environment strings: each names what is wrong in words a
 * user can act on, and never quotes a value (the caller adds it for settings that are not secret).
 */

export const integer = (min: number, max: number) =>
  z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(min, { error: `must be between ${min} and ${max}` })
    .max(max, { error: `must be between ${min} and ${max}` })

export const decimal = (min: number, max: number) =>
  z.coerce
    .number({ error: 'must be a number' })
    .min(min, { error: `must be between ${min} and ${max}` })
    .max(max, { error: `must be between ${min} and ${max}` })

export const booleanFlag = z
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
export const upstreamBaseUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://api.siliconflow.cn' })
  .transform((value) => {
    const url = new URL(value)
    const path = url.pathname.replace(/\/+$/, '').replace(/\/v1$/, '')
    return `${url.origin}${path}`
  })

/** DATABASE_URL: a PostgreSQL connection URL (never quoted back: it holds the password). */
export const postgresUrl = z
  .string()
  .trim()
  .refine(
    (value) => {
      try {
        const url = new URL(value)
        return /^postgres(?:ql)?:$/.test(url.protocol)
      } catch {
        return false
      }
    },
    { error: 'must be a postgres:// URL such as postgres://user:password@db:5432/sfp' },
  )

export const clientKeyList = z
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
export const proxyUrlList = z.string().transform((value, ctx) => {
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
export const blockCodeList = z.string().transform((value, ctx) => {
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
export const ipAddress = z
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
export const corsOriginList = z.string().transform((value, ctx): '*' | string[] => {
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
export const SHORT_ADMIN_PASSWORD =
  'must be at least 8 characters. The old siliconflowProxy accepted fewer, such as "admin"; ' +
  'clients that send it as their key keep working only once it is at least 8 characters (give them ' +
  'the new one). Set a longer ADMIN_PASSWORD in .env or the environment, or remove it to have one ' +
  'generated and shown at first boot.'
