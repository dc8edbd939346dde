import type { IncomingHttpHeaders } from 'node:http'
import type { Readable } from 'node:stream'
import { errorCodeOf } from '@sfp/egress'
import type { Dispatcher } from 'undici'
import { UpstreamTimeout, UpstreamUnreachable } from './errors.js'

/**
 * The transport: requests to the upstream origin through the dispatcher of the lease's egress
 * lane (which keeps its connections alive), with the upstream timeouts of the settings. Knows
 * nothing about Fastify, keys or retries.
 */
export interface TransportOptions {
  /** UPSTREAM_BASE_URL: an origin, possibly with a path prefix; `/v1/...` paths are appended. */
  baseUrl: string
  /** UPSTREAM_HEADERS_TIMEOUT_MS: time to the first byte of the answer. */
  headersTimeoutMs: number
  /** UPSTREAM_BODY_IDLE_TIMEOUT_MS: longest silence inside an answer. */
  bodyIdleTimeoutMs: number
}

export interface UpstreamRequest {
  /** The lane's undici dispatcher (its egress: this host or a proxy). */
  dispatcher: Dispatcher
  method: string
  /** `/v1/...` with its query string. */
  path: string
  headers: Record<string, string>
  /** Bytes, or a stream (a spooled upload, opened again for each attempt). */
  body: Buffer | Readable | undefined
  /** Aborting it ends the upstream request at once, socket included. */
  signal: AbortSignal
}

export interface UpstreamResponse {
  status: number
  headers: IncomingHttpHeaders
  /** Must be consumed or destroyed: it holds the connection until then. */
  body: Readable
}

export interface Transport {
  /**
   * One attempt. Resolves when the response headers arrive. Rejects with `UpstreamTimeout` or
   * `UpstreamUnreachable` (undici's error as `cause`, its code as `upstreamCode`), or with the
   * signal's reason when the request was aborted.
   */
  send(request: UpstreamRequest): Promise<UpstreamResponse>
}

/** A transport failure, wrapped: `upstreamCode` is undici's `UND_ERR_*` code or the errno. */
export type TransportError = (
  | InstanceType<typeof UpstreamTimeout>
  | InstanceType<typeof UpstreamUnreachable>
) & { upstreamCode: string }

/** What each undici / socket error code means for the client. Chosen by code, never by message. */
const TRANSPORT_ERRORS: Record<string, { timeout: boolean; reason: string }> = {
  UND_ERR_CONNECT_TIMEOUT: { timeout: true, reason: 'connect timeout' },
  UND_ERR_HEADERS_TIMEOUT: { timeout: true, reason: 'no response headers in time' },
  UND_ERR_BODY_TIMEOUT: { timeout: true, reason: 'the answer went silent for too long' },
  UND_ERR_SOCKET: { timeout: false, reason: 'the upstream closed the connection' },
  UND_ERR_HEADERS_OVERFLOW: { timeout: false, reason: 'response headers too large' },
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: { timeout: false, reason: 'answer shorter than announced' },
  UND_ERR_CLOSED: { timeout: false, reason: 'the proxy is shutting down' },
  UND_ERR_DESTROYED: { timeout: false, reason: 'the proxy is shutting down' },
  ECONNREFUSED: { timeout: false, reason: 'connection refused' },
  ECONNRESET: { timeout: false, reason: 'connection reset' },
  EPIPE: { timeout: false, reason: 'connection reset' },
  ETIMEDOUT: { timeout: true, reason: 'connect timeout' },
  ENOTFOUND: { timeout: false, reason: 'host not found' },
  EAI_AGAIN: { timeout: false, reason: 'DNS lookup failed' },
  EHOSTUNREACH: { timeout: false, reason: 'host unreachable' },
  ENETUNREACH: { timeout: false, reason: 'network unreachable' },
}

/** What a transport error code means: whether it is a timeout, and a short reason. */
export function describeTransportCode(code: string): { timeout: boolean; reason: string } {
  const known = TRANSPORT_ERRORS[code]
  if (known) return known
  if (code.startsWith('HPE_')) return { timeout: false, reason: 'malformed HTTP answer' }
  return { timeout: false, reason: `upstream request failed (${code})` }
}

/** Wrap an undici error as the proxy's own: 504 for connect/headers timeouts, else 502. */
export function wrapTransportError(error: unknown): TransportError {
  const upstreamCode = errorCodeOf(error)
  const { timeout, reason } = describeTransportCode(upstreamCode)
  const wrapped = timeout
    ? new UpstreamTimeout(reason, { cause: error })
    : new UpstreamUnreachable(reason, { cause: error })
  return Object.assign(wrapped, { upstreamCode })
}

export function isTransportError(error: unknown): error is TransportError {
  return (
    error instanceof Error && typeof (error as { upstreamCode?: unknown }).upstreamCode === 'string'
  )
}

export function createTransport(options: TransportOptions): Transport {
  const base = new URL(options.baseUrl)
  const { origin } = base
  const basePath = base.pathname.replace(/\/+$/, '')
  const { headersTimeoutMs, bodyIdleTimeoutMs } = options

  return {
    async send({ dispatcher, method, path, headers, body, signal }) {
      try {
        const response = await dispatcher.request({
          origin,
          method,
          path: `${basePath}${path}`,
          headers,
          body: body ?? null,
          signal,
          headersTimeout: headersTimeoutMs,
          bodyTimeout: bodyIdleTimeoutMs,
        })
        return { status: response.statusCode, headers: response.headers, body: response.body }
      } catch (error) {
        if (signal.aborted) throw signal.reason
        throw wrapTransportError(error)
      }
    },
  }
}
