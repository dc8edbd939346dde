import type { Clock } from '@sfp/runtime'
import type { NotificationFailure, NotificationTarget } from '@sfp/schemas'
import { type Dispatcher, request } from 'undici'
import type { AnswerVerdict, OutgoingRequest, Platform } from './types.js'

/** Enough of any platform's answer to read its verdict; the rest is not read. */
const ANSWER_LIMIT = 16 * 1024

export type DeliveryResult =
  | { ok: true; status: number }
  | { ok: false; status: number | null; failure: NotificationFailure; retry: boolean }

export interface DeliveryDeps {
  clock: Clock
  dispatcher: Dispatcher
  timeoutMs: number
}

async function readLimited(body: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    chunks.push(chunk)
    size += chunk.length
    if (size >= ANSWER_LIMIT) break // leaving the loop destroys the stream
  }
  return Buffer.concat(chunks).subarray(0, ANSWER_LIMIT).toString('utf8')
}

/** undici's or the system's error code; never the message, which may carry the URL. */
function errorCodeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : 'failed'
}

/**
 * Every secret of the target (its signing secret or bot token, the URL's query values and path
 * segments), longest first, so a platform echoing one back cannot carry it into an answer.
 */
function secretsOf(target: NotificationTarget): string[] {
  const found = new Set<string>()
  if (target.secret !== null) found.add(target.secret)
  try {
    const url = new URL(target.url)
    for (const value of url.searchParams.values()) found.add(value)
    for (const segment of url.pathname.split('/')) if (segment.length >= 8) found.add(segment)
    if (url.password !== '') found.add(url.password)
  } catch {
    // A stored URL is valid; nothing to remove from one that is not.
  }
  return [...found].filter((secret) => secret.length >= 4).sort((a, b) => b.length - a.length)
}

function withoutSecrets(verdict: AnswerVerdict, target: NotificationTarget): AnswerVerdict {
  if (verdict.ok || verdict.failure.code !== 'platform_error') return verdict
  const { detail } = verdict.failure.params
  if (detail === null) return verdict
  const clean = secretsOf(target).reduce((text, secret) => text.replaceAll(secret, '***'), detail)
  return {
    ...verdict,
    failure: { ...verdict.failure, params: { ...verdict.failure.params, detail: clean } },
  }
}

/**
 * One attempt: POST the platform's request, cut at `timeoutMs` on the injected clock (a receiver
 * that never answers holds nothing), and read the platform's verdict. `stop` aborts it (close).
 */
export async function deliverOnce(
  target: NotificationTarget,
  platform: Platform,
  outgoing: OutgoingRequest,
  stop: AbortSignal,
  { clock, dispatcher, timeoutMs }: DeliveryDeps,
): Promise<DeliveryResult> {
  const abort = new AbortController()
  let timedOut = false
  const cancelTimer = clock.setTimer(() => {
    timedOut = true
    abort.abort()
  }, timeoutMs)
  const onStop = () => abort.abort()
  stop.addEventListener('abort', onStop, { once: true })
  let status: number | null = null
  try {
    if (stop.aborted) abort.abort()
    const answer = await request(outgoing.url, {
      method: 'POST',
      headers: outgoing.headers,
      body: outgoing.body,
      signal: abort.signal,
      dispatcher,
    })
    status = answer.statusCode
    const verdict = withoutSecrets(
      platform.readAnswer(status, await readLimited(answer.body)),
      target,
    )
    return verdict.ok ? { ok: true, status } : { ...verdict, status }
  } catch (error) {
    const failure: NotificationFailure = timedOut
      ? { code: 'timeout', params: { timeoutMs } }
      : stop.aborted
        ? { code: 'closed', params: {} }
        : { code: 'network_error', params: { errorCode: errorCodeOf(error) } }
    return { ok: false, status, failure, retry: failure.code !== 'closed' }
  } finally {
    cancelTimer()
    stop.removeEventListener('abort', onStop)
  }
}
