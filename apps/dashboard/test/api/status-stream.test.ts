import type { StatusView } from '@sfp/schemas'
import { describe, expect, it, vi } from 'vitest'
import { ApiError } from '../../src/api/api-error.js'
import { runStatusStream, type StatusStreamMode } from '../../src/api/status-stream.js'
import { statusView } from '../helpers/fixtures.js'

function sseResponse(chunks: string[]): Response {
  const encoder = new TextEncoder()
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk))
      controller.close()
    },
  })
  return new Response(body, { headers: { 'content-type': 'text/event-stream' } })
}

const FAST = { baseBackoffMs: 1, maxBackoffMs: 2, pollIntervalMs: 1, streamRetryWhilePollingMs: 5 }

function waitFor(check: () => boolean): Promise<void> {
  return vi.waitFor(() => expect(check()).toBe(true), { timeout: 2000 })
}

describe('runStatusStream', () => {
  it('delivers each status event of the stream, and a snapshot at once', async () => {
    const controller = new AbortController()
    const received: StatusView[] = []
    const modes: StatusStreamMode[] = []
    const first = statusView({ version: 'snapshot' })
    const streamed = statusView({ version: 'streamed' })
    void runStatusStream({
      ...FAST,
      signal: controller.signal,
      fetchStatus: async () => first,
      openStream: async () =>
        sseResponse([
          `event: status\ndata: ${JSON.stringify(streamed).slice(0, 20)}`,
          `${JSON.stringify(streamed).slice(20)}\n\n`,
        ]),
      onStatus: (status) => received.push(status),
      onMode: (mode) => modes.push(mode),
    })
    await waitFor(() => received.some((status) => status.version === 'streamed'))
    controller.abort()
    expect(received[0]?.version).toBe('snapshot')
    expect(modes).toContain('live')
  })

  it('does not let a slow snapshot overwrite a newer streamed status', async () => {
    const controller = new AbortController()
    const received: string[] = []
    let answerSnapshot: (status: StatusView) => void = () => undefined
    void runStatusStream({
      ...FAST,
      signal: controller.signal,
      fetchStatus: () => new Promise((resolve) => (answerSnapshot = resolve)),
      openStream: async () =>
        sseResponse([`event: status\ndata: ${JSON.stringify(statusView({ version: 'new' }))}\n\n`]),
      onStatus: (status) => received.push(status.version),
      onMode: () => undefined,
    })
    await waitFor(() => received.includes('new'))
    answerSnapshot(statusView({ version: 'old' }))
    await new Promise((resolve) => setTimeout(resolve, 10))
    controller.abort()
    expect(received).not.toContain('old')
  })

  it('falls back to polling /status when the stream keeps failing', async () => {
    const controller = new AbortController()
    const modes: StatusStreamMode[] = []
    const fetchStatus = vi.fn(async () => statusView())
    void runStatusStream({
      ...FAST,
      signal: controller.signal,
      fetchStatus,
      openStream: async () => {
        throw new ApiError(404, 'not_found', 'no /events yet')
      },
      onStatus: () => undefined,
      onMode: (mode) => modes.push(mode),
    })
    await waitFor(() => modes.includes('polling') && fetchStatus.mock.calls.length >= 3)
    controller.abort()
  })

  it('stops for good on a 401 (the session is over)', async () => {
    const openStream = vi.fn(async () => {
      throw new ApiError(401, 'unauthorized', 'no')
    })
    await runStatusStream({
      ...FAST,
      signal: new AbortController().signal,
      fetchStatus: async () => {
        throw new ApiError(401, 'unauthorized', 'no')
      },
      openStream,
      onStatus: () => undefined,
      onMode: () => undefined,
    })
    expect(openStream).toHaveBeenCalledOnce()
  })
})
