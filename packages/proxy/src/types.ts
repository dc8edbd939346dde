import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import type { Readable } from 'node:stream'
import type { Dispatch } from '@sfp/dispatch'
import type { FastifyBaseLogger } from 'fastify'
import type { RetryPolicy } from './failover.js'
import type { AdmitClientRequest } from './options.js'
import type { ProxyRequestRecord } from './record.js'
import type { SlowReaders } from './slow-readers.js'
import type { Transport } from './transport.js'

/**
 * A request body or a reply's payload that is a stream (an upload to receive, an answer to pipe),
 * told apart from bytes, text and objects.
 */
export function isReadable(value: unknown): value is Readable {
  return (
    typeof value === 'object' && value !== null && typeof (value as Readable).pipe === 'function'
  )
}

/** What the proxy needs of the dispatch: leases (tests may pass their own). */
export type ProxyDispatch = Pick<Dispatch, 'lease'>

export interface ForwarderDeps {
  transport: Transport
  dispatch: ProxyDispatch
  policy: RetryPolicy
  /** BODY_LIMIT_MB in bytes, for uploads (JSON bodies are limited by the parser). */
  bodyLimitBytes: number
  /** Where uploads larger than UPLOAD_MEMORY_BYTES are spooled while their request lasts. */
  spoolDir: string
  /** CLIENT_BODY_IDLE_TIMEOUT_MS: an upload that stops arriving this long gets 408. */
  clientBodyIdleTimeoutMs: number
  /** UPSTREAM_BODY_IDLE_TIMEOUT_MS: a client that takes no answer byte this long is cut. */
  slowReaders: SlowReaders
  onComplete: (record: ProxyRequestRecord) => void
  /** The client key's own limits, before the request queues (none when absent). */
  admit?: AdmitClientRequest
  now: () => number
  /** Waits between retries; rejects when the signal aborts. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>
  random: () => number
}

/**
 * What the proxy reads of a request: Fastify's request on the proxy routes, or the server's
 * front door's for the JSON requests it takes before Fastify (apps/server/src/http/front-door.ts).
 */
export interface ProxyRequest {
  readonly id: string
  readonly method: string
  readonly url: string
  readonly headers: IncomingHttpHeaders
  /** JSON: its bytes; any other body: the request stream, received by the forwarder. */
  readonly body: unknown
  /** The client's address (behind TRUST_PROXY, the one the reverse proxy reported). */
  readonly ip: string | undefined
  readonly log: FastifyBaseLogger
  readonly raw: IncomingMessage
}

/**
 * How the proxy answers: Fastify's reply, or the front door's `RawReply` with the same meaning
 * (`send` takes bytes, a stream, the error envelope as an object, or an error to answer).
 */
export interface ProxyReply {
  readonly raw: ServerResponse
  readonly sent: boolean
  readonly statusCode: number
  code(status: number): ProxyReply
  header(name: string, value: string): ProxyReply
  headers(values: Record<string, string | string[]>): ProxyReply
  send(payload?: unknown): ProxyReply
}

/** One request as the route hands it over, client already authenticated. */
export interface ProxyCall {
  request: ProxyRequest
  reply: ProxyReply
  /** `/v1/<rest>` with the query string. */
  upstreamPath: string
  clientKeyId: number | null
  /** When the request arrived (ms since the epoch). */
  startedAt: number
  /** The client's address (behind TRUST_PROXY, the one the reverse proxy reported). */
  clientIp: string | null
}

export interface Forwarder {
  /** Answer the call; resolves after the answer is delivered (or failed) and recorded. */
  forward(call: ProxyCall): Promise<void>
}
