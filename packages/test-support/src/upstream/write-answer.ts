import type { ServerResponse } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Answer } from './answer.js'
import { SSE_HEADERS, sseEvent, writeEvents } from './sse.js'
import type { Fault } from './types.js'

function jsonBody(body: unknown): string {
  return typeof body === 'string' ? body : JSON.stringify(body)
}

function destroyHard(res: ServerResponse): void {
  // A TCP reset rather than a clean FIN, as a crashed or overloaded upstream produces.
  res.socket?.resetAndDestroy()
}

/** 64 KiB of a repeating byte pattern, reused for every chunk of a `large-body` answer. */
const LARGE_BODY_CHUNK = Buffer.alloc(64 * 1024, 'large-body ')

function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done)
      res.off('close', done)
      resolve()
    }
    res.on('drain', done)
    res.on('close', done)
  })
}

/** Write `bytes` bytes, waiting for 'drain' whenever the socket buffer is full. */
async function writeLargeBody(
  res: ServerResponse,
  bytes: number,
  onBytes: (bytes: number) => void,
): Promise<void> {
  for (let left = bytes; left > 0; ) {
    if (res.destroyed) return
    const chunk =
      left >= LARGE_BODY_CHUNK.length ? LARGE_BODY_CHUNK : LARGE_BODY_CHUNK.subarray(0, left)
    left -= chunk.length
    onBytes(chunk.length)
    if (!res.write(chunk)) await drainedOrClosed(res)
  }
  res.end()
}

/**
 * Write an endpoint's answer, or a scripted fault in its place. `onBytes` hears how many body
 * bytes each write hands to the socket; `stampSseEvents` prefixes each SSE event of an answer
 * with its send time (see `stampedEvent`).
 */
export async function writeAnswer(
  res: ServerResponse,
  answer: Answer | 'hang',
  fault: Fault | undefined,
  sseIntervalMs: number,
  onBytes: (bytes: number) => void = () => {},
  stampSseEvents = false,
): Promise<void> {
  if (answer === 'hang' || fault?.kind === 'hang') return
  switch (fault?.kind) {
    case 'reset-before-headers':
      destroyHard(res)
      return
    case 'status': {
      const body = fault.body === undefined ? '' : jsonBody(fault.body)
      res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers })
      onBytes(Buffer.byteLength(body))
      res.end(body)
      return
    }
    case 'large-body':
      res.writeHead(200, { 'content-type': fault.contentType ?? 'application/octet-stream' })
      await writeLargeBody(res, fault.bytes, onBytes)
      return
    case 'oversized-headers':
      res.setHeader('x-oversized', 'x'.repeat(fault.bytes ?? 256 * 1024))
      break
    case 'delay':
      await sleep(fault.ms)
      break
    case 'malformed-sse':
      res.writeHead(200, SSE_HEADERS)
      await writeEvents(
        res,
        [
          'data: {"id":"broken","choices":[{"delta":{"content":"a"}}]}\n\n',
          'data: {not json\n\n',
          'event: odd\nnonsense line\n\n',
          sseEvent('[DONE]'),
        ],
        sseIntervalMs,
        onBytes,
      )
      res.end()
      return
  }

  const interval = fault?.kind === 'slow-drip' ? fault.intervalMs : sseIntervalMs
  switch (answer.type) {
    case 'json': {
      const body = jsonBody(answer.body)
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers })
      if (fault?.kind === 'reset-mid-stream' || fault?.kind === 'stall-body') {
        // `afterEvents` counts bytes here; 0 sends the headers alone. A stall sends half.
        const cut = fault.kind === 'reset-mid-stream' ? fault.afterEvents : undefined
        const part = body.slice(0, cut ?? Math.floor(body.length / 2))
        onBytes(Buffer.byteLength(part))
        if (part.length > 0) res.write(part)
        else res.flushHeaders()
        if (fault.kind === 'stall-body') return
        await sleep(sseIntervalMs)
        destroyHard(res)
        return
      }
      onBytes(Buffer.byteLength(body))
      res.end(body)
      return
    }
    case 'sse': {
      res.writeHead(200, SSE_HEADERS)
      if (fault?.kind === 'reset-mid-stream' || fault?.kind === 'stall-body') {
        const sent = fault.kind === 'stall-body' ? 1 : (fault.afterEvents ?? 2)
        await writeEvents(res, answer.events.slice(0, sent), interval, onBytes, stampSseEvents)
        if (fault.kind === 'reset-mid-stream') {
          await sleep(sseIntervalMs)
          destroyHard(res)
        }
        return
      }
      await writeEvents(res, answer.events, interval, onBytes, stampSseEvents)
      res.end()
      return
    }
    case 'binary': {
      res.writeHead(200, { 'content-type': answer.contentType })
      const chunks = fault?.kind === 'reset-mid-stream' ? answer.chunks.slice(0, 1) : answer.chunks
      for (const chunk of chunks) {
        if (res.destroyed) return
        onBytes(chunk.length)
        if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve))
        await sleep(interval)
      }
      if (fault?.kind === 'reset-mid-stream') destroyHard(res)
      else res.end()
    }
  }
}
