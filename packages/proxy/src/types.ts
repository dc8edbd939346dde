import type { Dispatch } from '@sfp/dispatch'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { RetryPolicy } from './failover.js'
import type { AdmitClientRequest } from './options.js'
import type { ProxyRequestRecord } from './record.js'
import type { SlowReaders } from './slow-readers.js'
import type { Transport } from './transport.js'

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

/** One request as the route hands it over, client already authenticated. */
export interface ProxyCall {
  request: FastifyRequest
  reply: FastifyReply
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
