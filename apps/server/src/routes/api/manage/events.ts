// Types only: the `app.dispatch` augmentation of its plugin.
import type {} from '@sfp/dispatch'
import type { Clock } from '@sfp/runtime'
import type { StatusView } from '@sfp/schemas'
import type { FastifyPluginAsync } from 'fastify'
import { createStatusView, type StatusRoutesOptions } from './status.js'

export interface EventsRoutesOptions extends StatusRoutesOptions {
  /** Least time between two status events (docs/behaviour.md §6: at most every 500 ms). */
  throttleMs?: number
  /** Comment lines that keep proxies from closing a quiet stream. */
  heartbeatMs?: number
}

export interface StatusFeedOptions {
  view: () => StatusView
  /** Subscribes to changes; returns the unsubscribe function. */
  subscribe: (listener: () => void) => () => void
  throttleMs: number
  heartbeatMs: number
  clock: Clock
}

/** What the feed writes to: a hijacked `reply.raw` (a small interface, so tests can fake it). */
export interface EventSink {
  readonly writableNeedDrain: boolean
  write(chunk: string): boolean
  end(): void
  on(event: 'close' | 'drain', listener: () => void): unknown
}

/** Open SSE streams of the status; `endAll()` at shutdown so `app.close()` is not held open. */
export interface StatusFeed {
  add(response: EventSink): void
  endAll(): void
  readonly size: number
}

interface Client {
  response: EventSink
  /** A frame was skipped while the socket was full: send the current status on `drain`. */
  missed: boolean
}

const frame = (view: StatusView) => `event: status\ndata: ${JSON.stringify(view)}\n\n`

/**
 * One subscription to the dispatch for all streams. A change never builds the view in the
 * caller's stack (that is a slot hand-off): it schedules one broadcast, no sooner than
 * `throttleMs` after the previous one, which reads the state when it runs, so a burst of changes
 * ends in exactly one event carrying the last state.
 */
export function createStatusFeed(options: StatusFeedOptions): StatusFeed {
  const { view, subscribe, throttleMs, heartbeatMs, clock } = options
  const clients = new Set<Client>()
  let unsubscribe: (() => void) | null = null
  let cancelHeartbeat: (() => void) | null = null
  let cancelBroadcast: (() => void) | null = null
  let lastBroadcastAt = Number.NEGATIVE_INFINITY
  let ended = false

  function send(client: Client, text: string): void {
    if (client.response.writableNeedDrain) {
      client.missed = true
      return
    }
    client.response.write(text)
  }

  function broadcast(): void {
    cancelBroadcast = null
    lastBroadcastAt = clock.now()
    const text = frame(view())
    for (const client of clients) send(client, text)
  }

  function scheduleBroadcast(): void {
    if (cancelBroadcast !== null) return
    cancelBroadcast = clock.setTimer(broadcast, lastBroadcastAt + throttleMs - clock.now())
  }

  function start(): void {
    unsubscribe = subscribe(scheduleBroadcast)
    const beat = () => {
      for (const client of clients) send(client, ': keep-alive\n\n')
      cancelHeartbeat = clock.setTimer(beat, heartbeatMs)
    }
    cancelHeartbeat = clock.setTimer(beat, heartbeatMs)
  }

  function stop(): void {
    unsubscribe?.()
    unsubscribe = null
    cancelHeartbeat?.()
    cancelBroadcast?.()
    cancelHeartbeat = null
    cancelBroadcast = null
  }

  function remove(client: Client): void {
    if (!clients.delete(client)) return
    if (clients.size === 0) stop()
  }

  return {
    add(response) {
      if (ended) {
        response.end()
        return
      }
      const client: Client = { response, missed: false }
      if (clients.size === 0) start()
      clients.add(client)
      response.on('close', () => remove(client))
      response.on('drain', () => {
        if (!client.missed) return
        client.missed = false
        send(client, frame(view()))
      })
      send(client, frame(view()))
    },
    endAll() {
      ended = true
      for (const client of [...clients]) {
        remove(client)
        client.response.end()
      }
    },
    get size() {
      return clients.size
    },
  }
}

/** `GET /api/manage/events`: the status view as server-sent events, whenever it changes. */
const eventsRoutes: FastifyPluginAsync<EventsRoutesOptions> = async (app, options) => {
  const { throttleMs = 500, heartbeatMs = 15_000 } = options
  const feed = createStatusFeed({
    view: createStatusView(app, options),
    subscribe: (listener) => app.dispatch.onChange(listener),
    throttleMs,
    heartbeatMs,
    clock: app.clock,
  })
  app.addHook('preClose', async () => feed.endAll())

  app.get('/events', (request, reply) => {
    // The stream outlives the handler: Fastify lets go of the reply, the feed writes to it.
    reply.hijack()
    // Headers set by hooks (x-request-id) are not sent for a hijacked reply unless copied.
    for (const [name, value] of Object.entries(reply.getHeaders())) {
      if (value !== undefined) reply.raw.setHeader(name, value)
    }
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
    })
    // HEAD (Fastify routes it here): the head is the whole answer, no stream to follow.
    if (request.method === 'HEAD') {
      reply.raw.end()
      return
    }
    feed.add(reply.raw)
  })
}

export default eventsRoutes
