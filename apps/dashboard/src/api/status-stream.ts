import { type StatusView, statusViewSchema } from '@sfp/schemas'
import { isApiError } from './api-error.js'
import { createSseParser } from './sse-parser.js'

/** `live`: the SSE stream delivers; `polling`: the stream failed repeatedly, /status is polled. */
export type StatusStreamMode = 'connecting' | 'live' | 'polling'

export interface StatusStreamOptions {
  openStream(signal: AbortSignal): Promise<Response>
  fetchStatus(signal: AbortSignal): Promise<StatusView>
  onStatus(status: StatusView): void
  onMode(mode: StatusStreamMode): void
  signal: AbortSignal
  /** First reconnect delay; doubled per failed attempt up to `maxBackoffMs`. */
  baseBackoffMs?: number
  maxBackoffMs?: number
  /** Failed stream attempts in a row before falling back to polling. */
  failuresBeforePolling?: number
  pollIntervalMs?: number
  /** While polling, how long before the stream is tried again. */
  streamRetryWhilePollingMs?: number
  /** A stream open this long counts as working even if it sent nothing. */
  healthyStreamMs?: number
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
    function done() {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
  })
}

/** A 401 ends the session (the HTTP client signs out); retrying would only burn login attempts. */
function isFatal(error: unknown): boolean {
  return isApiError(error) && error.status === 401
}

/**
 * Keeps `onStatus` fed until `signal` aborts: reads `GET /api/manage/events` with fetch and a
 * stream reader, reconnects with exponential backoff, and polls `/status` when streaming keeps
 * failing (a proxy that buffers SSE, or a server without the route yet).
 */
export async function runStatusStream(options: StatusStreamOptions): Promise<void> {
  const {
    signal,
    baseBackoffMs = 1000,
    maxBackoffMs = 30_000,
    failuresBeforePolling = 3,
    pollIntervalMs = 5000,
    streamRetryWhilePollingMs = 60_000,
    healthyStreamMs = 10_000,
  } = options
  let fatal = false
  let lastStreamedAt = 0

  async function pollOnce(): Promise<void> {
    const startedAt = Date.now()
    try {
      const status = await options.fetchStatus(signal)
      // A stream event that arrived meanwhile is newer than this answer: keep it.
      if (lastStreamedAt < startedAt) options.onStatus(status)
    } catch (error) {
      if (isFatal(error)) fatal = true
    }
  }

  /**
   * Resolves when the stream ends; true when it worked (delivered a status, or stayed open a
   * while: the server only sends when something changes).
   */
  async function readStream(): Promise<boolean> {
    const response = await options.openStream(signal)
    const contentType = response.headers.get('content-type') ?? ''
    if (!response.body || !contentType.includes('text/event-stream')) return false
    const openedAt = Date.now()
    options.onMode('live')
    let delivered = false
    const parser = createSseParser(({ event, data }) => {
      if (event !== 'status') return
      let json: unknown
      try {
        json = JSON.parse(data)
      } catch {
        return
      }
      const parsed = statusViewSchema.safeParse(json)
      if (!parsed.success) return
      delivered = true
      lastStreamedAt = Date.now()
      options.onStatus(parsed.data)
    })
    const reader = response.body.getReader()
    const decoder = new TextDecoder()
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        parser.push(decoder.decode(value, { stream: true }))
      }
    } finally {
      parser.end()
      reader.releaseLock()
    }
    return delivered || Date.now() - openedAt >= healthyStreamMs
  }

  // A snapshot at once, so the page is not empty while the stream connects.
  void pollOnce()
  let failures = 0
  while (!signal.aborted && !fatal) {
    if (failures < failuresBeforePolling) options.onMode('connecting')
    let delivered = false
    try {
      delivered = await readStream()
    } catch (error) {
      if (isFatal(error)) return
    }
    if (signal.aborted) return
    failures = delivered ? 0 : failures + 1
    if (failures >= failuresBeforePolling) {
      options.onMode('polling')
      const until = Date.now() + streamRetryWhilePollingMs
      while (!signal.aborted && !fatal && Date.now() < until) {
        await pollOnce()
        await sleep(pollIntervalMs, signal)
      }
    } else {
      await sleep(Math.min(baseBackoffMs * 2 ** failures, maxBackoffMs), signal)
    }
  }
}
