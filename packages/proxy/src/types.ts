import type { Dispatch, SwitchGuard } from '@sfp/dispatch'
import type { KeyPool } from '@sfp/key-pool'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { RetryPolicy } from './failover.js'
import type { ProxyRequestRecord } from './record.js'
import type { Transport } from './request.js'

/** The parts of the key pool and the dispatcher the proxy uses (tests pass small fakes). */
export type ProxyKeyPool = Pick<KeyPool, 'report'>
export type ProxyDispatch = Pick<Dispatch, 'acquire' | 'chooseKey'> & {
  guard: Pick<SwitchGuard, 'recordUse'>
}

export interface ForwarderDeps {
  transport: Transport
  pool: ProxyKeyPool
  dispatch: ProxyDispatch
  policy: RetryPolicy
  /** BODY_LIMIT_MB in bytes, for streamed uploads (JSON bodies are limited by the parser). */
  bodyLimitBytes: number
  onComplete: (record: ProxyRequestRecord) => void
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
}

export interface Forwarder {
  /** Answer the call; resolves after the answer is delivered (or failed) and recorded. */
  forward(call: ProxyCall): Promise<void>
}
