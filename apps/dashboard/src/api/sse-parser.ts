/**
 * A small Server-Sent Events parser for `fetch()` streams (EventSource cannot send the
 * Authorization header). Feed it decoded text in chunks of any size; it calls `onEvent` for each
 * complete event.
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 */
export interface SseEvent {
  /** `message` when the event had no `event:` field. */
  event: string
  data: string
  /** The last event id seen so far, if any. */
  id: string | undefined
}

export interface SseParser {
  push(chunk: string): void
  /** End of stream: an unfinished event is dropped, as the spec says. */
  end(): void
}

export function createSseParser(onEvent: (event: SseEvent) => void): SseParser {
  let buffer = ''
  let atStart = true
  let eventType = ''
  let dataLines: string[] = []
  let lastId: string | undefined

  function dispatch(): void {
    if (dataLines.length > 0) {
      onEvent({ event: eventType || 'message', data: dataLines.join('\n'), id: lastId })
    }
    dataLines = []
    eventType = ''
  }

  function processLine(line: string): void {
    if (line === '') {
      dispatch()
      return
    }
    if (line.startsWith(':')) return // comment, used as keep-alive
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    let value = colon === -1 ? '' : line.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    if (field === 'event') eventType = value
    else if (field === 'data') dataLines.push(value)
    else if (field === 'id' && !value.includes('\0')) lastId = value
    // `retry` is ignored: the reader picks its own backoff.
  }

  return {
    push(chunk) {
      buffer += chunk
      if (atStart && buffer.length > 0) {
        if (buffer.startsWith('\uFEFF')) buffer = buffer.slice(1)
        atStart = false
      }
      let lineStart = 0
      for (let index = 0; index < buffer.length; index++) {
        const char = buffer[index]
        if (char !== '\n' && char !== '\r') continue
        // A CR at the very end may be the first half of CRLF: wait for the next chunk.
        if (char === '\r' && index === buffer.length - 1) break
        processLine(buffer.slice(lineStart, index))
        if (char === '\r' && buffer[index + 1] === '\n') index++
        lineStart = index + 1
      }
      buffer = buffer.slice(lineStart)
    },
    end() {
      // A CR held back as a possible CRLF half is a line ending after all.
      if (buffer.endsWith('\r')) processLine(buffer.slice(0, -1))
      buffer = ''
      dataLines = []
      eventType = ''
    },
  }
}
