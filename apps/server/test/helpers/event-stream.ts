import { Agent, get, type IncomingHttpHeaders } from 'node:http'

export interface EventStream {
  statusCode: number
  headers: IncomingHttpHeaders
  /** `data` of every `status` event so far, parsed. */
  events: unknown[]
  /** Resolves with the event at `index` once it has arrived. */
  event(index: number): Promise<unknown>
  /** Resolves when the server ends the stream. */
  ended: Promise<void>
  close(): void
}

/** A minimal SSE client over a real socket: events are read as the server flushes them. */
export function openEventStream(
  url: string,
  headers: Record<string, string> = {},
): Promise<EventStream> {
  return new Promise((resolve, reject) => {
    // Keep-alive like a browser: the server must still be able to close the socket at shutdown.
    const agent = new Agent({ keepAlive: true })
    const request = get(url, { agent, headers }, (response) => {
      const events: unknown[] = []
      const waiters = new Map<number, (event: unknown) => void>()
      let buffer = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        buffer += chunk
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const data = block.split('\n').find((line) => line.startsWith('data: '))
          if (!block.includes('event: status') || data === undefined) continue
          events.push(JSON.parse(data.slice(6)))
          const index = events.length - 1
          waiters.get(index)?.(events[index])
          waiters.delete(index)
        }
      })
      const ended = new Promise<void>((done) => response.on('end', done))
      resolve({
        statusCode: response.statusCode ?? 0,
        headers: response.headers,
        events,
        event: (index) =>
          index < events.length
            ? Promise.resolve(events[index])
            : new Promise((done) => waiters.set(index, done)),
        ended,
        close: () => {
          request.destroy()
          agent.destroy()
        },
      })
    })
    request.on('error', reject)
  })
}
