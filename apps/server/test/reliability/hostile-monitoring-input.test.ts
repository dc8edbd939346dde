import type { AddressInfo } from 'node:net'
import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import { describe, expect, it, vi } from 'vitest'
import { databaseDigest } from '../helpers/database-digest.js'
import { sqliteOf } from '../helpers/test-app.js'
import {
  adminRequest,
  check,
  MANAGE,
  type Method,
  methodOr,
  PROPERTY_TIMEOUT_MS,
  RUNS,
  seededApp,
  showStatuses,
} from './admin-property.js'
import { adminCredentials } from './hostile-credentials.js'
import { hostileHeaders, hostileQuery, hostileScalar, hostileText } from './hostile-input.js'
import { responseHead } from './raw-http.js'

const SEED = 0x5fb

/** Headers an event-stream client sends (or gets wrong), on top of the general odd ones. */
const eventStreamHeaders = fc.record(
  {
    accept: fc.constantFrom('text/event-stream', 'text/event-stream;q=0', 'text/html', '*/*'),
    'last-event-id': hostileText,
    'cache-control': fc.constantFrom('no-cache', 'no-store, max-age=-1', ''),
    connection: fc.constantFrom('keep-alive', 'close', 'upgrade', 'Keep-Alive, TE'),
    upgrade: fc.constantFrom('websocket', 'h2c', ''),
  },
  { requiredKeys: [] },
)

const eventsMethod = fc.oneof(
  { weight: 5, arbitrary: fc.constant<Method>('GET') },
  {
    weight: 1,
    arbitrary: fc.constantFrom<Method>('HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
  },
)

const eventsRequest = fc.record({
  method: eventsMethod,
  query: hostileQuery(['lastEventId', 'retry', 'since']),
  headers: fc.oneof(hostileHeaders, eventStreamHeaders),
  credentials: adminCredentials,
})

function openConnections(app: FastifyInstance): Promise<number> {
  return new Promise((resolve, reject) =>
    app.server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  )
}

/**
 * The two admin routes the admin property leaves out, under the same hostile input and with
 * wrong credentials mixed in: `GET /metrics`, and `GET /api/manage/events`, an event stream that
 * never ends on its own, over real sockets dropped once the head of the answer arrived. Answers
 * are 2xx or 4xx (only 4xx without the login), never 5xx, and nothing in the database changes.
 */
describe('hostile input to /metrics and /api/manage/events', {
  timeout: PROPERTY_TIMEOUT_MS,
}, () => {
  it('GET /metrics', async ({ annotate }) => {
    await check(
      adminRequest(methodOr('GET'), fc.constant('/metrics'), ['name[]', 'x'], hostileScalar, ''),
    )
    await showStatuses(annotate)
  })

  it('GET /api/manage/events: the stream opens for the admin only, and nothing is left open', async ({
    annotate,
  }) => {
    const { app } = await seededApp()
    await app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = app.server.address() as AddressInfo
    const sqlite = sqliteOf(app)
    const seen = new Map<string, number>()
    await fc.assert(
      fc.asyncProperty(eventsRequest, async ({ method, query, headers, credentials }) => {
        const before = databaseDigest(sqlite)
        const head = await responseHead(
          port,
          {
            method,
            target: `${MANAGE}/events${query}`,
            headers: { ...headers, ...credentials.headers },
          },
          { localAddress: credentials.remoteAddress },
        )
        const { status } = head
        const key = credentials.valid ? `${status}` : `${status} without login`
        seen.set(key, (seen.get(key) ?? 0) + 1)
        const context = `${method} ${query} ${JSON.stringify({ headers, credentials }).slice(0, 400)} -> ${status}`
        expect(status, context).toBeGreaterThanOrEqual(credentials.valid ? 200 : 400)
        expect(status, context).toBeLessThan(500)
        if (status === 200 && method === 'GET') {
          expect(head.headers.get('content-type'), context).toMatch(/^text\/event-stream/)
        }
        expect(databaseDigest(sqlite), `${context}: the database changed`).toBe(before)
        // The client is gone: its stream (or its refused request) holds no connection.
        await vi.waitFor(async () => expect(await openConnections(app), context).toBe(0), {
          timeout: 2000,
          interval: 1,
        })
      }),
      { seed: SEED, numRuns: RUNS },
    )
    await annotate(`statuses ${JSON.stringify(Object.fromEntries(seen))}`)
    // The stream did open, many times: the property reached the route's handler.
    expect(seen.get('200') ?? 0).toBeGreaterThan(RUNS / 4)
  })
})
