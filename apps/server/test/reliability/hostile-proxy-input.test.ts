import fc from 'fast-check'
import { describe, expect, it, type TestContext, vi } from 'vitest'
import { type AppTable, databaseDigest } from '../helpers/database-digest.js'
import { type ProxyTestApp, startProxyApp } from '../helpers/proxy-app.js'
import { sqliteOf } from '../helpers/test-app.js'
import { proxyCredentials, validProxyCredentials } from './hostile-credentials.js'
import {
  hostileBody,
  hostileHeaders,
  hostileObject,
  hostileQuery,
  hostileScalar,
  hostileSegment,
} from './hostile-input.js'
import { type HostileRequest, type Method, sendHostile } from './hostile-request.js'

const SEED = 0x5fa
const RUNS = 300
/** RUNS requests through the whole proxy take a few seconds alone, more on a busy machine. */
const PROPERTY_TIMEOUT_MS = 60_000

/**
 * What a rejection by the proxy itself may not touch. The request log is left out on purpose:
 * every proxied request gets its row, the rejected ones too (docs/behaviour.md §7).
 */
const STATE_TABLES: readonly AppTable[] = ['upstream_keys', 'client_keys', 'settings', 'key_events']

const ENDPOINTS = [
  '/chat/completions',
  '/completions',
  '/embeddings',
  '/rerank',
  '/images/generations',
  '/audio/speech',
  '/audio/transcriptions',
  '/video/submit',
  '/models',
  '/user/info',
  '/files',
]

let test: ProxyTestApp
/** How the property's requests were answered, by status (and client key). */
const seenStatuses = new Map<string, number>()

/**
 * Shown with the test: how the property's requests were answered (mostly 4xx, enough 2xx to
 * show that the handlers ran, and no 5xx).
 */
async function showStatuses(annotate: TestContext['annotate']): Promise<void> {
  await annotate(`statuses ${JSON.stringify(Object.fromEntries(seenStatuses))}`)
  seenStatuses.clear()
}

/**
 * Send one request. A 5xx here can only be the proxy's own failure (the look-alike upstream
 * answers 2xx or 4xx), and a request the proxy refused without calling the upstream must have
 * changed none of the pool's state. Without the client key: a 4xx, and no upstream call.
 */
async function expectHandled(request: HostileRequest): Promise<void> {
  const { app, upstream } = test
  const sqlite = sqliteOf(app)
  // What earlier requests queued is written first: their counters land on the write-behind's
  // interval, which may fall inside this request, and are not its doing.
  await writeQueued(app)
  const before = databaseDigest(sqlite, STATE_TABLES)
  const upstreamCallsBefore = upstream.requests.length
  const { credentials } = request
  const { status, context } = await sendHostile(app, request)
  const seen = credentials.valid ? `${status}` : `${status} without key`
  seenStatuses.set(seen, (seenStatuses.get(seen) ?? 0) + 1)
  const called = upstream.requests.length !== upstreamCallsBefore
  if (!credentials.valid) expect(called, `${context}: reached the upstream`).toBe(false)
  if (status >= 400 && !called) {
    // Anything the refusal queued is written too, so that it shows.
    await writeQueued(app)
    expect(databaseDigest(sqlite, STATE_TABLES), `${context}: state changed`).toBe(before)
  }
  // Whatever happened, the request is over: its slot comes back (right after the answer ends).
  await vi.waitFor(
    () => expect(app.dispatch.status().dispatch, context).toMatchObject({ inFlight: 0, queued: 0 }),
    { timeout: 2000, interval: 1 },
  )
}

async function writeQueued(app: ProxyTestApp['app']): Promise<void> {
  await app.keyPool.flush()
  await app.egress.flush()
}

const method = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom<Method>('POST', 'GET') },
  {
    weight: 2,
    arbitrary: fc.constantFrom<Method>('PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'),
  },
  // WebDAV and diagnostics methods: Fastify routes them, undici has opinions about some.
  { weight: 1, arbitrary: fc.constantFrom<Method>('TRACE', 'PROPFIND', 'SEARCH', 'COPY', 'LOCK') },
)

const path = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...ENDPOINTS) },
  {
    weight: 2,
    arbitrary: fc
      .array(hostileSegment, { minLength: 1, maxLength: 3 })
      .map((segments) => `/${segments.join('/')}`),
  },
  { weight: 1, arbitrary: fc.constantFrom('/', '//', '/../api/manage/config', '/%2e%2e/admin') },
)

const chatLike = hostileObject([
  'model',
  'messages',
  'stream',
  'stream_options',
  'input',
  'prompt',
  'suffix',
])

const proxyRequest: fc.Arbitrary<HostileRequest> = fc
  .record({
    prefix: fc.constantFrom('/v1', '/api/proxy'),
    method,
    path,
    query: hostileQuery(['type', 'sub_type', 'stream', 'model']),
    body: hostileBody(
      fc.oneof(
        chatLike,
        // Mostly valid chat requests, one field made hostile: they reach the upstream.
        fc.tuple(chatLike, fc.boolean()).map(([extra, stream]) => ({
          model: 'Qwen/Qwen2.5-7B-Instruct',
          messages: [{ role: 'user', content: 'hi' }],
          stream,
          ...extra,
        })),
      ),
    ),
    headers: hostileHeaders,
    credentials: proxyCredentials,
  })
  .map(({ prefix, method, path, query, body, headers, credentials }) => ({
    method,
    url: `${prefix}${path}${query}`,
    body,
    headers,
    credentials,
  }))

/**
 * The proxy routes (`/v1/*`, `/api/proxy/*`, docs/behaviour.md §3) under generated methods, paths,
 * bodies, headers and query strings, mostly with the client key and sometimes with only wrong
 * credentials, in front of the look-alike upstream: never a 5xx, never a slot left taken, a
 * refusal by the proxy changes nothing, and without the key nothing reaches the upstream.
 */
describe('hostile input to the proxy routes', { timeout: PROPERTY_TIMEOUT_MS }, () => {
  it('answers 2xx or 4xx (4xx without the key), frees its slot, and a refusal changes nothing', async ({
    annotate,
  }) => {
    test = await startProxyApp({ KEY_SWITCH_POLICY: 'immediate' })
    await fc.assert(
      fc.asyncProperty(proxyRequest, (request) => expectHandled(request)),
      { seed: SEED, numRuns: RUNS },
    )
    // The upstream was reached often enough for the property to mean something.
    expect(test.upstream.requests.length).toBeGreaterThan(RUNS / 4)
    await showStatuses(annotate)
  })

  it('the same for well-formed completions with one hostile part, streamed or not', async ({
    annotate,
  }) => {
    test = await startProxyApp({ KEY_SWITCH_POLICY: 'immediate' })
    const completion = fc
      .record({
        prefix: fc.constantFrom('/v1', '/api/proxy'),
        path: fc.constantFrom('/chat/completions', '/completions'),
        query: hostileQuery(['stream', 'model']),
        stream: fc.boolean(),
        field: fc.constantFrom('model', 'messages', 'prompt', 'stream_options', 'n', 'max_tokens'),
        value: hostileScalar,
        headers: hostileHeaders,
        credentials: validProxyCredentials,
      })
      .map(
        ({ prefix, path, query, stream, field, value, headers, credentials }): HostileRequest => ({
          method: 'POST',
          url: `${prefix}${path}${query}`,
          body: {
            contentType: 'application/json',
            payload: JSON.stringify({
              model: 'Qwen/Qwen2.5-7B-Instruct',
              messages: [{ role: 'user', content: 'hello there' }],
              prompt: 'hello there',
              stream,
              [field]: value,
            }),
          },
          headers,
          credentials,
        }),
      )
    await fc.assert(
      fc.asyncProperty(completion, (request) => expectHandled(request)),
      { seed: SEED, numRuns: RUNS / 2 },
    )
    expect(seenStatuses.get('200') ?? 0).toBeGreaterThan(RUNS / 4)
    await showStatuses(annotate)
  })
})
