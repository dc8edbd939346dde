import {
  type IpRange,
  ipInRange,
  type ProxyErrorCode,
  parseIpAddress,
  parseIpRange,
} from '@sfp/schemas'

/**
 * A client key's own limits (docs/behaviour.md §12), as pure checks: model patterns, allowed
 * addresses, and the periods of the counters. Days and months are those of China Standard Time
 * (UTC+8 all year, no daylight saving), where SiliconFlow's users and bills live.
 */

const MINUTE_MS = 60_000
const DAY_MS = 86_400_000
const CST_OFFSET_MS = 8 * 3_600_000

/** `YYYY-MM-DD`, the China Standard Time day of `now`. */
export function cstDay(now: number): string {
  return new Date(now + CST_OFFSET_MS).toISOString().slice(0, 10)
}

/** `YYYY-MM`, the China Standard Time month of `now`. */
export function cstMonth(now: number): string {
  return cstDay(now).slice(0, 7)
}

/** The next midnight in China Standard Time, in ms since the epoch. */
export function nextCstMidnight(now: number): number {
  return Math.floor((now + CST_OFFSET_MS) / DAY_MS + 1) * DAY_MS - CST_OFFSET_MS
}

/** The first of the next month, midnight China Standard Time. */
export function nextCstMonthStart(now: number): number {
  const local = new Date(now + CST_OFFSET_MS)
  return Date.UTC(local.getUTCFullYear(), local.getUTCMonth() + 1, 1) - CST_OFFSET_MS
}

/** Which fixed minute `now` falls in (the window of the requests-per-minute limit). */
export const minuteOf = (now: number): number => Math.floor(now / MINUTE_MS)

/** Whole seconds until `time`, at least 1: a Retry-After that never invites an instant retry. */
export function secondsUntil(now: number, time: number): number {
  return Math.max(1, Math.ceil((time - now) / 1000))
}

/** `Org/*` allows every model whose name starts with `Org/`; anything else is an exact name. */
export function modelAllowed(patterns: readonly string[], model: string): boolean {
  return patterns.some((pattern) =>
    pattern.endsWith('/*') ? model.startsWith(pattern.slice(0, -1)) : model === pattern,
  )
}

/** The stored address list as ranges; entries that no longer parse allow nothing. */
export function compileIpRanges(list: readonly string[]): IpRange[] {
  return list.map(parseIpRange).filter((range): range is IpRange => range !== null)
}

/** Whether the client's address lies in one of the ranges; an unknown address never does. */
export function ipAllowed(ranges: readonly IpRange[], ip: string | null): boolean {
  const address = ip === null ? null : parseIpAddress(ip)
  return address !== null && ranges.some((range) => ipInRange(address, range))
}

/** An answer given instead of queueing the request, in the proxy's error envelope. */
export interface ClientRefusal {
  status: number
  code: Extract<
    ProxyErrorCode,
    | 'client_key_expired'
    | 'model_not_allowed'
    | 'client_ip_not_allowed'
    | 'client_rate_limited'
    | 'client_quota_exceeded'
  >
  message: string
  retryAfterSeconds?: number
}

/** A client key's limits, ready to check (null: no limit). */
export interface CompiledLimits {
  models: readonly string[] | null
  expiresAt: number | null
  rpm: number | null
  dailyRequests: number | null
  dailyTokens: number | null
  monthlySpendCny: number | null
  allowedIps: readonly IpRange[] | null
}

/** What the key used in the periods that contain `now`. */
export interface PeriodUsage {
  minuteRequests: number
  dayRequests: number
  dayTokens: number
  monthSpendCny: number
}

/**
 * The first limit a request breaks, or null when it may queue. In order: expiry, address, model,
 * then the counters from the shortest period, so Retry-After names the earliest time a retry
 * can pass. A request without a model (GET, uploads) is not judged by the model list.
 */
export function checkClientLimits(
  limits: CompiledLimits,
  usage: PeriodUsage,
  request: { model: string | null; ip: string | null; now: number },
): ClientRefusal | null {
  const { model, ip, now } = request
  if (limits.expiresAt !== null && now >= limits.expiresAt) {
    const at = new Date(limits.expiresAt).toISOString()
    return refusal(401, 'client_key_expired', `This client key expired at ${at}`)
  }
  if (limits.allowedIps !== null && !ipAllowed(limits.allowedIps, ip)) {
    const message = `This client key may not be used from ${ip ?? 'an unknown address'}`
    return refusal(403, 'client_ip_not_allowed', message)
  }
  if (limits.models !== null && model !== null && !modelAllowed(limits.models, model)) {
    return refusal(403, 'model_not_allowed', `This client key may not use the model ${model}`)
  }
  if (limits.rpm !== null && usage.minuteRequests >= limits.rpm) {
    const message = `This client key's ${limits.rpm} requests per minute are used up`
    const retryAfterSeconds = secondsUntil(now, (minuteOf(now) + 1) * MINUTE_MS)
    return { ...refusal(429, 'client_rate_limited', message), retryAfterSeconds }
  }
  const tomorrow = secondsUntil(now, nextCstMidnight(now))
  if (limits.dailyRequests !== null && usage.dayRequests >= limits.dailyRequests) {
    const message = `This client key's ${limits.dailyRequests} requests per day are used up (the day ends at midnight China Standard Time)`
    return { ...refusal(429, 'client_quota_exceeded', message), retryAfterSeconds: tomorrow }
  }
  if (limits.dailyTokens !== null && usage.dayTokens >= limits.dailyTokens) {
    const message = `This client key's ${limits.dailyTokens} tokens per day are used up (the day ends at midnight China Standard Time)`
    return { ...refusal(429, 'client_quota_exceeded', message), retryAfterSeconds: tomorrow }
  }
  if (limits.monthlySpendCny !== null && usage.monthSpendCny > limits.monthlySpendCny) {
    const message = `This client key's monthly spend of ${limits.monthlySpendCny} CNY is used up`
    const retryAfterSeconds = secondsUntil(now, nextCstMonthStart(now))
    return { ...refusal(429, 'client_quota_exceeded', message), retryAfterSeconds }
  }
  return null
}

function refusal(status: number, code: ClientRefusal['code'], message: string): ClientRefusal {
  return { status, code, message }
}

/**
 * A `/v1/models` answer with only the models of `patterns`: the upstream JSON with its `data`
 * entries filtered by `id`, everything else as it came. Null when the text is not such a list
 * (then it is passed on untouched).
 */
export function filterModelList(text: string, patterns: readonly string[]): string | null {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return null
  }
  if (
    typeof json !== 'object' ||
    json === null ||
    !Array.isArray((json as { data?: unknown }).data)
  ) {
    return null
  }
  const list = json as { data: unknown[] }
  const data = list.data.filter((entry) => {
    const id = (entry as { id?: unknown } | null)?.id
    return typeof id === 'string' && modelAllowed(patterns, id)
  })
  return JSON.stringify({ ...list, data })
}
