import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach } from 'vitest'

/** One POST a notification target received. */
export interface ReceivedNotification {
  url: string
  headers: IncomingHttpHeaders
  /** The raw body, as signed. */
  body: string
  json: Record<string, unknown>
}

export interface NotificationReceiver {
  /** `http://127.0.0.1:<port>` */
  url: string
  received: ReceivedNotification[]
  /** Resolves once `count` messages have arrived (bounded by the test's timeout). */
  waitFor(count: number): Promise<ReceivedNotification[]>
}

const receivers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of receivers.splice(0)) await close()
})

/** A local webhook receiver on 127.0.0.1, port 0, answering 200 `{}`; closed after the test. */
export async function startNotificationReceiver(): Promise<NotificationReceiver> {
  const received: ReceivedNotification[] = []
  const waiters: { count: number; resolve: () => void }[] = []
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      received.push({
        url: request.url ?? '',
        headers: request.headers,
        body,
        json: JSON.parse(body),
      })
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
      for (const waiter of waiters.filter((w) => received.length >= w.count)) {
        waiters.splice(waiters.indexOf(waiter), 1)
        waiter.resolve()
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  receivers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    async waitFor(count) {
      if (received.length < count) {
        await new Promise<void>((resolve) => waiters.push({ count, resolve }))
      }
      return received
    },
  }
}
