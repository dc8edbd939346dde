import { type Config, describeIssues, type ProxyErrorCode } from '@sfp/schemas'
import { z } from 'zod'
import type { ProxyRequestRecord } from './record.js'
import type { ProxyDispatch } from './types.js'

/**
 * The settings the proxy reads: its slice of the parsed `Config` (checked once, by `parseConfig`;
 * a whole `Config` may be passed), taken as it is.
 */
export type ProxySettings = Pick<
  Config,
  | 'upstreamBaseUrl'
  | 'upstreamRetries'
  | 'upstreamConnectTimeoutMs'
  | 'upstreamHeadersTimeoutMs'
  | 'upstreamBodyIdleTimeoutMs'
  | 'bodyLimitBytes'
  | 'clientBodyIdleTimeoutMs'
>

/** Who presented a client key: a dashboard key (its id) or one of PROXY_API_KEYS (null). */
export interface ClientIdentity {
  clientKeyId: number | null
}

export type VerifyClientKey = (presented: string) => ClientIdentity | undefined

/** A client key's own limit refused the request (docs/behaviour.md §12): its error answer. */
export interface ClientRefusal {
  status: number
  code: ProxyErrorCode
  message: string
  retryAfterSeconds?: number
}

/**
 * The client key's own limits, asked once per request when its body is in (its model known) and
 * before it queues: null lets it queue, a refusal is answered instead and nothing is sent.
 */
export type AdmitClientRequest = (
  identity: ClientIdentity,
  request: { model: string | null; ip: string | null; now: number },
) => ClientRefusal | null

export interface ProxyPluginOptions {
  settings: ProxySettings
  /** The client key check (the server's `clientKeys.verify`). */
  verifyClientKey: VerifyClientKey
  /** Default: every request with an accepted client key may queue. */
  admit?: AdmitClientRequest
  /** Called once per proxied request, after its answer ended (the server batches the writes). */
  onComplete?: (record: ProxyRequestRecord) => void
  /** Default: the `dispatch` decoration of the `dispatch` plugin. */
  dispatch?: ProxyDispatch
  /** Retry backoff; defaults in `DEFAULT_RETRY_POLICY`. */
  retry?: {
    baseDelayMs?: number
    maxDelayMs?: number
    maxRetryAfterMs?: number
    maxKeys?: number
  }
  /** Waits between retries (tests record the delays instead of waiting). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>
  random?: () => number
}

const positiveInteger = z.number().int().positive()
const fn = z.custom<(...args: never[]) => unknown>((value) => typeof value === 'function', {
  error: 'must be a function',
})
const hasMethods = (...names: string[]) =>
  z.custom<object>(
    (value) =>
      typeof value === 'object' &&
      value !== null &&
      names.every((name) => typeof (value as Record<string, unknown>)[name] === 'function'),
    { error: `must have ${names.join(', ')}` },
  )

/** The options that are not settings: the functions and objects the caller wires in. */
const optionsSchema = z.object({
  verifyClientKey: fn,
  admit: fn.optional(),
  onComplete: fn.optional(),
  dispatch: hasMethods('lease').optional(),
  retry: z
    .object({
      baseDelayMs: z.number().int().min(0).optional(),
      maxDelayMs: z.number().int().min(0).optional(),
      maxRetryAfterMs: z.number().int().min(0).optional(),
      maxKeys: positiveInteger.optional(),
    })
    .optional(),
  sleep: fn.optional(),
  random: fn.optional(),
})

/** Check the plugin options once, at registration; the message names the bad option. */
export function validateProxyOptions(options: ProxyPluginOptions): ProxyPluginOptions {
  const result = optionsSchema.safeParse(options)
  if (!result.success) {
    throw new Error(`Invalid proxy plugin options: ${describeIssues(result.error.issues).message}`)
  }
  return options
}
