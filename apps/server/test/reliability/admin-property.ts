/**
 * The harness of the admin API's hostile-input properties: a seeded server per property, the
 * request shape, and the check every generated request must pass.
 */
import { type MockUpstream, startMockUpstream } from '@sfp/test-support/upstream'
import fc from 'fast-check'
import { afterAll, beforeAll, expect, type TestContext } from 'vitest'
import { databaseDigest } from '../helpers/database-digest.js'
import { logRow } from '../helpers/log-rows.js'
import { basicAuth, buildTestApp, sqliteOf, type TestApp } from '../helpers/test-app.js'
import { adminCredentials, type PresentedCredentials } from './hostile-credentials.js'
import {
  type HostileBody,
  hostileBody,
  hostileHeaders,
  hostileQuery,
  hostileScalar,
  hostileSegment,
} from './hostile-input.js'
import { type HostileRequest, type Method, sendHostile } from './hostile-request.js'

export type { Method } from './hostile-request.js'

/** One admin request, as the property builds it: with the admin login unless it says otherwise. */
export type AdminRequest = Omit<HostileRequest, 'credentials'> & {
  credentials?: PresentedCredentials
}

export const MANAGE = '/api/manage'

const ADMIN_LOGIN: PresentedCredentials = { valid: true, headers: { authorization: basicAuth() } }

/** Fixed seeds: a failure names its seed and path, and the same run comes back every time. */
const SEED = 0x5f9
export const RUNS = 150
/** A property of RUNS requests takes a second or two alone, several times that on a busy machine. */
export const PROPERTY_TIMEOUT_MS = 30_000

let upstream: MockUpstream
let test: TestApp
/** How the admin routes answered during the current property, by status (and login). */
const seenStatuses = new Map<string, number>()

/**
 * Shown with the test: how the property's requests were answered (mostly 4xx, enough 2xx to
 * show that the handlers ran, and no 5xx).
 */
export async function showStatuses(annotate: TestContext['annotate']): Promise<void> {
  await annotate(`statuses ${JSON.stringify(Object.fromEntries(seenStatuses))}`)
  seenStatuses.clear()
}

beforeAll(async () => {
  upstream = await startMockUpstream({ acceptAnyKey: true })
})
afterAll(async () => {
  await upstream.close()
})

/**
 * A server with some of everything: keys (one the upstream refuses), client keys, log rows and
 * key events, so that ids in the generated requests often exist. Checks of a key other than the
 * one last used go through under `immediate`; under `wait` they are refused with the documented
 * 503 `key_switch_guard` (docs/behaviour.md §5), which would hide every other answer of a check.
 */
export async function seededApp(): Promise<TestApp> {
  const seeded = await buildTestApp({
    UPSTREAM_BASE_URL: upstream.url,
    KEY_SWITCH_POLICY: 'immediate',
  })
  const { app } = seeded
  await app.keyPool.add({
    api_keys: `sk-one-${'1'.repeat(40)}\nsk-two-${'2'.repeat(40)}\nnot-sk-key-3`,
  })
  app.keyPool.update(2, { enabled: false, label: 'second' })
  await app.clientKeys.create('first')
  await app.clientKeys.create('second')
  for (let i = 0; i < 20; i++) app.requestLog.record(logRow({ requestId: `seed-${i}` }))
  await app.requestLog.flush()
  return seeded
}

/**
 * Send one request and check what hostile input may never do: a 5xx, a crash, a rejected
 * request that still changed something, or anything but a refusal for wrong credentials.
 */
async function expectHandled(request: AdminRequest): Promise<void> {
  const { app } = test
  const sqlite = sqliteOf(app)
  const before = databaseDigest(sqlite)
  const { credentials = ADMIN_LOGIN } = request
  const { response, status, context } = await sendHostile(app, { ...request, credentials })
  const seen = credentials.valid ? `${status}` : `${status} without login`
  seenStatuses.set(seen, (seenStatuses.get(seen) ?? 0) + 1)
  if (status >= 400) {
    expect(databaseDigest(sqlite), `${context}: a rejected request changed the database`).toBe(
      before,
    )
    if (request.method !== 'HEAD') {
      expect(response.json(), context).toMatchObject({
        error: { message: expect.any(String), type: expect.any(String), code: expect.any(String) },
      })
    }
  }
}

const anyMethod = fc.constantFrom<Method>(
  'GET',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'HEAD',
  'OPTIONS',
)

/** Mostly the route's own method (so the handler runs), sometimes any other. */
export const methodOr = (...own: Method[]) =>
  fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...own) }, { weight: 1, arbitrary: anyMethod })

/** Ids that exist (1-3 are seeded) half the time, so that the handlers run past validation. */
export const idSegment = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('1', '2', '3', '4', '99') },
  { weight: 3, arbitrary: hostileSegment },
)

/**
 * A request to `base` + `path` (the admin API unless told), hostile in every part, credentials
 * included: mostly the admin login, sometimes only wrong ones (see `hostile-credentials.ts`).
 */
export function adminRequest(
  method: fc.Arbitrary<Method>,
  path: fc.Arbitrary<string>,
  queryNames: readonly string[],
  body: fc.Arbitrary<unknown> = hostileScalar,
  base = MANAGE,
): fc.Arbitrary<AdminRequest> {
  return fc
    .record({
      method,
      path,
      query: hostileQuery(queryNames),
      body: hostileBody(body),
      headers: hostileHeaders,
      credentials: adminCredentials,
    })
    .map(({ method, path, query, body, headers, credentials }) => ({
      method,
      url: `${base}${path}${query}`,
      body,
      headers,
      credentials,
    }))
}

/** A fresh seeded server per property, so that one property's writes do not steer another. */
export async function check(
  requests: fc.Arbitrary<AdminRequest>,
  examples: AdminRequest[] = [],
  numRuns = RUNS,
): Promise<void> {
  test = await seededApp()
  await fc.assert(
    fc.asyncProperty(requests, (request) => expectHandled(request)),
    { seed: SEED, numRuns, examples: examples.map((example) => [example]) },
  )
}

export const noBody: HostileBody = { contentType: undefined, payload: undefined }
