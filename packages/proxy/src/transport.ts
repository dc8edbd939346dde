import type { IncomingHttpHeaders } from 'node:http'
import type { Readable } from 'node:stream'
import { transportFailure } from '@sfp/egress'
import type { TransportFailure, TransportFailureCause } from '@sfp/schemas'
import type { Dispatcher } from 'undici'
import { UpstreamTimeout, UpstreamUnreachable } from './errors.js'
import { UpstreamBody } from './upstream-body.js'

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
  /** Must be read to its end or destroyed: it holds the connection until then. */
  body: UpstreamBody
}

export interface Transport {
  /**
   * One attempt. Resolves when the response headers arrive. Rejects with `UpstreamTimeout` or
   * `UpstreamUnreachable` (undici's error as `cause`, what it came to as `failure`), or with the
   * signal's reason when the request was aborted.
   */
  send(request: UpstreamRequest): Promise<UpstreamResponse>
}

/** A transport failure, wrapped: `failure` is what undici's code came to (`@sfp/egress`). */
export type TransportError = (
  | InstanceType<typeof UpstreamTimeout>
  | InstanceType<typeof UpstreamUnreachable>
) & { failure: TransportFailure }

/** The failures the client gets as 504 `upstream_timeout`; any other is 502. */
const TIMEOUTS: ReadonlySet<TransportFailureCause> = new Set([
  'connect_timeout',
  'headers_timeout',
  'body_timeout',
])

/** Each cause in the words of the proxy's English error messages. */
const CAUSE_WORDS: Record<TransportFailureCause, string> = {
  connect_timeout: 'connect timeout',
  headers_timeout: 'no response headers in time',
  body_timeout: 'the answer went silent for too long',
  connection_closed: 'the upstream closed the connection',
  connection_refused: 'connection refused',
  connection_reset: 'connection reset',
  tunnel_refused: 'the proxy refused the tunnel',
  socks_refused: 'the SOCKS5 proxy refused',
  headers_too_large: 'response headers too large',
  answer_too_short: 'answer shorter than announced',
  malformed_answer: 'malformed HTTP answer',
  host_not_found: 'host not found',
  dns_failed: 'DNS lookup failed',
  host_unreachable: 'host unreachable',
  network_unreachable: 'network unreachable',
  shutting_down: 'the proxy is shutting down',
  failed: 'upstream request failed',
}

/** A transport failure in a few English words; an unknown one names its code. */
export function transportFailureText({ cause, code }: TransportFailure): string {
  return cause === 'failed' ? `${CAUSE_WORDS.failed} (${code})` : CAUSE_WORDS[cause]
}

/** Wrap an undici error as the proxy's own: 504 for connect/headers timeouts, else 502. */
export function wrapTransportError(error: unknown): TransportError {
  const failure = transportFailure(error)
  const reason = transportFailureText(failure)
  const wrapped = TIMEOUTS.has(failure.cause)
    ? new UpstreamTimeout(reason, { cause: error })
    : new UpstreamUnreachable(reason, { cause: error })
  return Object.assign(wrapped, { failure })
}

export function isTransportError(error: unknown): error is TransportError {
  return (
    error instanceof Error &&
    typeof (error as { failure?: unknown }).failure === 'object' &&
    (error as { failure?: unknown }).failure !== null
  )
}

export function createTransport(options: TransportOptions): Transport {
  const base = new URL(options.baseUrl)
  const { origin } = base
  const basePath = base.pathname.replace(/\/+$/, '')
  const { headersTimeoutMs, bodyIdleTimeoutMs } = options

  return {
    send({ dispatcher, method, path, headers, body, signal }) {
      return new Promise((resolve, reject) => {
        const options: Dispatcher.DispatchOptions = {
          origin,
          method,
          path: `${basePath}${path}`,
          headers,
          body: body ?? null,
          headersTimeout: headersTimeoutMs,
          bodyTimeout: bodyIdleTimeoutMs,
        }
        const handler = new AttemptHandler(body, signal, resolve, (error) =>
          reject(signal.aborted ? signal.reason : wrapTransportError(error)),
        )
        try {
          dispatcher.dispatch(options, handler)
        } catch (error) {
          handler.onResponseError(null, error as Error)
        }
      })
    },
  }
}

/**
 * One attempt as undici's dispatch handler: the answer's head resolves it, its body goes to an
 * `UpstreamBody`, and the client's leaving (`signal`) aborts the request wherever it is (not yet
 * on a connection, waiting for headers, or mid-body). What `dispatcher.request()` did, without
 * its `Readable` per answer and without the egress interceptor's headers being turned back into
 * raw bytes and parsed again for it.
 */
class AttemptHandler implements Dispatcher.DispatchHandler {
  #controller: Dispatcher.DispatchController | null = null
  #body: UpstreamBody | null = null
  #settled = false
  readonly #requestBody: Buffer | Readable | undefined
  readonly #signal: AbortSignal
  readonly #resolve: (response: UpstreamResponse) => void
  readonly #reject: (error: Error) => void
  readonly #onAbort = () => this.#controller?.abort(this.#signal.reason as Error)

  constructor(
    requestBody: Buffer | Readable | undefined,
    signal: AbortSignal,
    resolve: (response: UpstreamResponse) => void,
    reject: (error: Error) => void,
  ) {
    this.#requestBody = requestBody
    this.#signal = signal
    this.#resolve = resolve
    this.#reject = reject
    signal.addEventListener('abort', this.#onAbort, { once: true })
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller
    if (this.#signal.aborted) controller.abort(this.#signal.reason as Error)
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
  ): void {
    // 1xx answers are informational: the real one follows.
    if (statusCode < 200 || this.#settled) return
    this.#settled = true
    const body = new UpstreamBody(controller)
    this.#body = body
    this.#resolve({ status: statusCode, headers, body })
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#body?.data(chunk)
  }

  onResponseEnd(): void {
    this.#done()
    this.#body?.end()
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, error: Error): void {
    this.#done()
    const requestBody = this.#requestBody
    if (requestBody !== undefined && !Buffer.isBuffer(requestBody) && !requestBody.destroyed) {
      requestBody.on('error', () => {})
      requestBody.destroy(error)
    }
    if (this.#body !== null) {
      this.#body.fail(error)
      return
    }
    if (this.#settled) return
    this.#settled = true
    this.#reject(error)
  }

  #done(): void {
    this.#signal.removeEventListener('abort', this.#onAbort)
  }
}
