import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Received {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}

/** How the receiver answers one request: a status and a JSON body, or never. */
export type Reply = { status: number; json?: unknown; text?: string } | 'hang'

/**
 * A local HTTP receiver on 127.0.0.1, port 0: it records each request and answers with the next
 * scripted reply (then `fallback`). `next()` waits for the next request to arrive.
 */
export async function startReceiver(fallback: Reply = { status: 200, json: {} }) {
  const received: Received[] = []
  const replies: Reply[] = []
  const waiting: ((request: Received) => void)[] = []
  const hanging = new Set<ServerResponse>()
  let delivered = 0
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const record: Received = {
      method: request.method ?? '',
      url: request.url ?? '',
      headers: request.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    }
    received.push(record)
    const reply = replies.shift() ?? fallback
    if (reply === 'hang') hanging.add(response)
    else if (reply.text !== undefined) response.writeHead(reply.status).end(reply.text)
    else {
      response.writeHead(reply.status, { 'content-type': 'application/json' })
      response.end(JSON.stringify(reply.json ?? {}))
    }
    waiting.shift()?.(record)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    /** Replies for the next requests, in order. */
    reply(...next: Reply[]) {
      replies.push(...next)
    },
    /** The next request not yet taken by `next()`, waiting for it when none has arrived. */
    next(): Promise<Received> {
      const ready = received[delivered]
      delivered += 1
      if (ready !== undefined) return Promise.resolve(ready)
      return new Promise((resolve) => waiting.push(resolve))
    },
    connections(): Promise<number> {
      return new Promise((resolve, reject) =>
        server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
      )
    },
    async close() {
      for (const response of hanging) response.destroy()
      server.closeAllConnections()
      server.close()
      await once(server, 'close')
    },
  }
}
export type Receiver = Awaited<ReturnType<typeof startReceiver>>

/** Polls `check` every few milliseconds until it holds; fails after `limitMs` of real time. */
export async function until(check: () => boolean | Promise<boolean>, limitMs = 3000) {
  const started = Date.now()
  while (!(await check())) {
    if (Date.now() - started > limitMs) throw new Error('condition not reached in time')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
