import { type KeyCheckSummary, upstreamUserInfoSchema } from '@sfp/schemas'
import { type Dispatcher, Pool } from 'undici'

/**
 * What upstream says about a key right now. A balance is only ever a number read from
 * `totalBalance`; every doubt (retired endpoint, odd body, timeout) is `unknown`, never zero.
 * @see docs/upstream.md §3
 */
export type KeyCheck = (
  | { kind: 'balance'; totalBalance: number; accountStatus: string | null }
  | { kind: 'invalid' }
  /**
   * `valid`: upstream accepted the key (/v1/models answered 2xx, or user/info a JSON object
   * without a readable balance) but told no balance.
   */
  | { kind: 'unknown'; valid: boolean }
) & {
  /**
   * What upstream answered, as the params of the `key_check` explanation (key events and
   * `lastErrorDetail`; `explanationText` words it in English for `reason` and `lastError`).
   */
  summary: KeyCheckSummary
}

export interface BalanceClient {
  /**
   * `GET /v1/user/info`; on 404/410 `GET /v1/models` for validity. Never throws. `via`: the
   * lane's dispatcher the key must go out through (default: this client's own pool).
   */
  checkKey(key: string, signal?: AbortSignal, via?: Dispatcher): Promise<KeyCheck>
  /** Close the connection pool (only when this client created it). */
  close(): Promise<void>
}

export interface BalanceClientOptions {
  /** UPSTREAM_BASE_URL: an origin, optionally with a path prefix, without `/v1`. */
  baseUrl: string
  connectTimeoutMs: number
  /** Longest wait for the answer's headers and between body chunks. */
  timeoutMs: number
  /** Tests and tools may bring their own; otherwise a small pool of our own. */
  dispatcher?: Dispatcher
}

/** user/info answers are a few hundred bytes; anything far larger is not one. */
const MAX_BODY_BYTES = 64 * 1024

interface Answer {
  status: number
  body: string
}

export function createBalanceClient(options: BalanceClientOptions): BalanceClient {
  const base = new URL(options.baseUrl)
  const prefix = base.pathname.replace(/\/+$/, '')
  const owned = options.dispatcher === undefined
  const dispatcher =
    options.dispatcher ??
    new Pool(base.origin, { connections: 2, connect: { timeout: options.connectTimeoutMs } })

  /**
   * One GET, its answer read whole (up to MAX_BODY_BYTES, past which the body is dropped and the
   * connection closed). Through undici's dispatch with a handler of its own rather than
   * `request()`: no `Readable` or async iterator per check. A check follows every
   * AUTO_QUERY_BALANCE_AFTER_CALLS successes; with that machinery each one cost about as much
   * CPU as a proxied request (bench/README.md "Ninth pass").
   */
  function get(
    path: string,
    key: string,
    signal: AbortSignal | undefined,
    via: Dispatcher,
  ): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const handler = new WholeAnswerHandler(signal, resolve, reject)
      try {
        via.dispatch(
          {
            origin: base.origin,
            path: `${prefix}${path}`,
            method: 'GET',
            headers: { authorization: `Bearer ${key}`, accept: 'application/json' },
            headersTimeout: options.timeoutMs,
            bodyTimeout: options.timeoutMs,
          },
          handler,
        )
      } catch (error) {
        handler.onResponseError(null, error as Error)
      }
    })
  }

  /** Validity without a balance: /v1/models costs nothing and needs a valid key. */
  async function modelsCheck(
    key: string,
    userInfoStatus: number,
    signal: AbortSignal | undefined,
    via: Dispatcher,
  ): Promise<KeyCheck> {
    const { status } = await get('/v1/models', key, signal, via)
    if (status === 401) {
      return {
        kind: 'invalid',
        summary: { kind: 'invalid', userInfoStatus, modelsStatus: status },
      }
    }
    const valid = status >= 200 && status < 300
    return { kind: 'unknown', valid, summary: unknown('status', userInfoStatus, status) }
  }

  async function checkKey(
    key: string,
    signal?: AbortSignal,
    via: Dispatcher = dispatcher,
  ): Promise<KeyCheck> {
    try {
      const { status, body } = await get('/v1/user/info', key, signal, via)
      if (status === 401) {
        return {
          kind: 'invalid',
          summary: { kind: 'invalid', userInfoStatus: status, modelsStatus: null },
        }
      }
      if (status === 404 || status === 410) {
        return await modelsCheck(key, status, signal, via)
      }
      if (status !== 200) {
        return { kind: 'unknown', valid: false, summary: unknown('status', status) }
      }
      // A 200 that is not a JSON object (a proxy's or a maintenance HTML page, a cut body) may
      // not come from the API at all: it says nothing about the key either way.
      const json = parseJsonObject(body)
      if (json === undefined) {
        return { kind: 'unknown', valid: false, summary: unknown('no_json', status) }
      }
      const parsed = upstreamUserInfoSchema.safeParse(json)
      if (!parsed.success) {
        return { kind: 'unknown', valid: true, summary: unknown('no_balance', status) }
      }
      const { totalBalance, status: accountStatus } = parsed.data.data
      const account = accountStatus ?? null
      return {
        kind: 'balance',
        totalBalance,
        accountStatus: account,
        summary: {
          kind: 'balance',
          balance: totalBalance,
          accountStatus: account === null || account === 'normal' ? null : account.slice(0, 40),
        },
      }
    } catch (error) {
      return {
        kind: 'unknown',
        valid: false,
        summary: unknown('failed', null, null, errorCode(error)),
      }
    }
  }

  return {
    checkKey,
    async close() {
      if (owned) await dispatcher.close()
    },
  }
}

function unknown(
  problem: Extract<KeyCheckSummary, { kind: 'unknown' }>['problem'],
  userInfoStatus: number | null,
  modelsStatus: number | null = null,
  error: string | null = null,
): KeyCheckSummary {
  return { kind: 'unknown', userInfoStatus, modelsStatus, problem, error }
}

/**
 * undici's dispatch handler for `get`: the status, and the body gathered into one string once it
 * ended. Rejects with undici's error, or with the signal's reason when the check was aborted.
 */
class WholeAnswerHandler implements Dispatcher.DispatchHandler {
  #status = 0
  #chunks: Buffer[] = []
  #size = 0
  #settled = false
  readonly #signal: AbortSignal | undefined
  readonly #resolve: (answer: Answer) => void
  readonly #reject: (error: Error) => void
  #controller: Dispatcher.DispatchController | null = null
  readonly #onAbort = () => this.#controller?.abort(this.#signal?.reason as Error)

  constructor(
    signal: AbortSignal | undefined,
    resolve: (answer: Answer) => void,
    reject: (error: Error) => void,
  ) {
    this.#signal = signal
    this.#resolve = resolve
    this.#reject = reject
    signal?.addEventListener('abort', this.#onAbort, { once: true })
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller
    if (this.#signal?.aborted) controller.abort(this.#signal.reason as Error)
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    // 1xx answers are informational: the real one follows.
    if (statusCode >= 200) this.#status = statusCode
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#size += chunk.length
    if (this.#size <= MAX_BODY_BYTES) {
      this.#chunks.push(chunk)
      return
    }
    // Not a user/info answer: what it said is dropped, and reading it stops here.
    this.#settle({ status: this.#status, body: '' })
    controller.abort(new Error('answer too large'))
  }

  onResponseEnd(): void {
    const body = this.#chunks.length === 1 ? this.#chunks[0] : Buffer.concat(this.#chunks)
    this.#settle({ status: this.#status, body: body?.toString('utf8') ?? '' })
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, error: Error): void {
    if (this.#settled) return
    this.#done()
    this.#reject(this.#signal?.aborted ? (this.#signal.reason as Error) : error)
  }

  #settle(answer: Answer): void {
    if (this.#settled) return
    this.#done()
    this.#resolve(answer)
  }

  #done(): void {
    this.#settled = true
    this.#chunks = []
    this.#signal?.removeEventListener('abort', this.#onAbort)
  }
}

function parseJsonObject(text: string): object | undefined {
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null ? value : undefined
  } catch {
    return undefined
  }
}

/** undici's `UND_ERR_*` or the errno code; never the message, which could quote anything. */
function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code === 'string' && /^[A-Z0-9_]{1,64}$/.test(code)) return code
  const name = (error as { name?: unknown } | null)?.name
  return name === 'AbortError' ? 'aborted' : 'network error'
}
