import { METHODS } from 'node:http'
import fc from 'fast-check'
import { describe, expect, it, type TestContext } from 'vitest'
import {
  type LanesTestApp,
  laneKey,
  PROXY_PASSWORD,
  PROXY_USER,
  startLaneProxies,
  startLanesApp,
} from '../helpers/lanes-app.js'
import { basicAuth, TEST_ADMIN_PASSWORD, TEST_CLIENT_KEY } from '../helpers/test-app.js'
import {
  adminCredentials,
  type PresentedCredentials,
  proxyCredentials,
} from './hostile-credentials.js'
import {
  type HostileBody,
  hostileBody,
  hostileHeaders,
  hostileObject,
  hostileQuery,
  hostileSegment,
} from './hostile-input.js'
import { exchange } from './raw-http.js'

const SEED = 0x7ace
const RUNS = 1000
/** RUNS requests on fresh sockets, many through the egress proxy: about 5 s, more when busy. */
const PROPERTY_TIMEOUT_MS = 60_000

/** The methods the proxy routes forward (docs/behaviour.md §3); anything else is refused (405). */
const FORWARDED = new Set(['GET', 'POST', 'DELETE'])
const PROXY_PREFIXES = ['/v1/', '/api/proxy/']

const KEYS = [laneKey(1), laneKey(2)]
/**
 * What must never come back: the pool's keys, the egress proxy's password (as written in
 * EGRESS_PROXIES, and as the `Proxy-Authorization` value that carries it), the admin password.
 */
const SECRETS: Record<string, string> = {
  'upstream key 1': KEYS[0] ?? '',
  'upstream key 2': KEYS[1] ?? '',
  'egress proxy password': PROXY_PASSWORD,
  'egress proxy credentials': Buffer.from(`${PROXY_USER}:${PROXY_PASSWORD}`).toString('base64'),
  'admin password': TEST_ADMIN_PASSWORD,
}

interface EchoRequest {
  method: string
  target: string
  body: HostileBody
  headers: Record<string, string>
  credentials: PresentedCredentials
}

/**
 * Every method Node parses, lower-case spellings (which it does not), and random tokens (which
 * it mostly does not either: 400 before any route); the forwarded three most often, so that
 * enough reach the echoing upstream.
 */
const method = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...FORWARDED) },
  { weight: 4, arbitrary: fc.constantFrom(...METHODS) },
  { weight: 1, arbitrary: fc.constantFrom(...METHODS).map((name) => name.toLowerCase()) },
  { weight: 1, arbitrary: fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,12}$/) },
)

const randomPath = fc
  .array(hostileSegment, { minLength: 1, maxLength: 3 })
  .map((segments) => `/${segments.join('/')}`)

const PROXY_ENDPOINTS = [
  '/chat/completions',
  '/completions',
  '/embeddings',
  '/rerank',
  '/models',
  '/user/info',
  '/files',
  '/files/file-1',
  '/batches',
  '/audio/speech',
]

/**
 * Admin routes that read, check (a key check calls the upstream with the key) or cannot change
 * what the property needs: the keys and the lane stay. Left out: `/events` (a stream that never
 * ends, hostile-monitoring-input's), `/api-keys/export` and `/backup` (the admin's own copies of
 * the keys, by design), and the routes that delete or disable a key or an egress.
 */
const ADMIN_PATHS = [
  '/api-keys',
  '/api-keys/1/check',
  '/api-keys/2/check',
  '/api-keys/1/activate',
  '/api-keys/bulk',
  '/egresses',
  '/egresses/1/check',
  '/egresses/2/check',
  '/client-keys',
  '/config',
  '/status',
  '/stats',
  '/logs',
  '/key-events',
]

const path = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        fc.constantFrom('/v1', '/api/proxy'),
        fc.oneof(
          { weight: 5, arbitrary: fc.constantFrom(...PROXY_ENDPOINTS) },
          { weight: 2, arbitrary: randomPath },
          { weight: 1, arbitrary: fc.constantFrom('', '/', '/../api/manage/config', '/%2e%2e/x') },
        ),
      )
      .map(([prefix, rest]) => `${prefix}${rest}`),
  },
  {
    weight: 2,
    arbitrary: fc
      .oneof(fc.constantFrom(...ADMIN_PATHS), randomPath)
      .map((rest) => `/api/manage${rest}`),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom('/metrics', '/healthz', '/readyz', '/', '*', '/api/proxy/health'),
  },
  { weight: 1, arbitrary: randomPath },
)

const echoRequest: fc.Arbitrary<EchoRequest> = fc
  .record({
    method,
    path,
    query: fc.oneof(fc.constant(''), hostileQuery(['type', 'sub_type', 'limit', 'stream'])),
    body: hostileBody(
      fc.oneof(
        hostileObject(['model', 'messages', 'stream', 'input', 'name', 'api_key']),
        fc.constant({
          model: 'Qwen/Qwen2.5-7B-Instruct',
          messages: [{ role: 'user', content: 'hi' }],
        }),
      ),
    ),
    headers: hostileHeaders,
    proxy: proxyCredentials,
    admin: adminCredentials,
    // One request in five carries the other kind: the admin login on /v1, a client key on /metrics.
    crossed: fc.nat({ max: 4 }).map((n) => n === 0),
  })
  .map(({ method, path, query, body, headers, proxy, admin, crossed }) => {
    const proxyPath = path.startsWith('/v1') || path.startsWith('/api/proxy')
    return {
      method,
      target: `${path}${query}`,
      body,
      headers,
      credentials: proxyPath !== crossed ? proxy : admin,
    }
  })

/** A forwarded request's 2xx: the upstream's echo, relayed with the key masked. */
function passedThrough({ method, target }: EchoRequest, status: number): boolean {
  return (
    FORWARDED.has(method) &&
    PROXY_PREFIXES.some((prefix) => target.startsWith(prefix)) &&
    status >= 200 &&
    status < 300
  )
}

let test: LanesTestApp
let port: number
const statuses = new Map<string, number>()
const seen = { refused: 0, traces: 0, passedThrough: 0, passedThroughMasked: 0 }

/** The gateway going out only through an HTTP CONNECT proxy with a password, to an echo. */
async function startEchoSetup(): Promise<LanesTestApp> {
  const proxies = await startLaneProxies(1, 0)
  const app = await startLanesApp(
    {
      EGRESS_DIRECT: 'false',
      EGRESS_PROXIES: proxies.urls.join(','),
      KEY_SWITCH_POLICY: 'immediate',
    },
    { keyCount: KEYS.length },
  )
  // Every request the upstream gets is echoed back, Authorization included: the allowed
  // methods too, so a key that goes out is a key that can come back.
  app.upstream.script({ fault: { kind: 'echo' }, times: Number.POSITIVE_INFINITY })
  return app
}

async function sendAndScan(request: EchoRequest): Promise<void> {
  const { method, target, body, headers, credentials } = request
  const result = await exchange(
    port,
    {
      method,
      target,
      headers: {
        ...headers,
        ...credentials.headers,
        ...(body.contentType === undefined ? {} : { 'content-type': body.contentType }),
      },
      ...(body.payload === undefined ? {} : { body: body.payload }),
    },
    { localAddress: credentials.remoteAddress },
  )
  const [answer] = result.answers
  const status = answer?.status ?? Number.NaN
  const area = /^\/(v1|api\/proxy)(\/|\?|$)/.test(target)
    ? 'proxy'
    : target.startsWith('/api/manage')
      ? 'admin'
      : 'other'
  statuses.set(`${area} ${status}`, (statuses.get(`${area} ${status}`) ?? 0) + 1)
  if (status === 405) seen.refused += 1
  if (method === 'TRACE') seen.traces += 1
  const context = `${method} ${target} -> ${result.received.slice(0, 400)}`
  if (passedThrough(request, status)) {
    seen.passedThrough += 1
    // The echo quoted the key (masked) back: the scan below is a real one.
    if (/authorization: Bearer sk-[^\r]*\*/i.test(answer?.body ?? '')) {
      seen.passedThroughMasked += 1
    }
  }
  for (const [name, secret] of Object.entries(SECRETS)) {
    // The body too, unframed: a chunk boundary may cut a secret in what was received.
    const leaked = result.received.includes(secret) || (answer?.body ?? '').includes(secret)
    expect(leaked, `${name} in the answer to ${context}`).toBe(false)
  }
}

async function showSeen(annotate: TestContext['annotate']): Promise<void> {
  await annotate(`statuses ${JSON.stringify(Object.fromEntries(statuses))}`)
  await annotate(`seen ${JSON.stringify(seen)}`)
}

/**
 * Any method (every one Node parses, lower-case ones, random tokens) on any path (the proxy's,
 * the admin API's, /metrics, /healthz, random ones), with hostile headers, bodies and
 * credentials, in front of an upstream that echoes every request back (RFC 9110's TRACE answer,
 * for every method), reached only through an egress proxy with a password: no answer, in its
 * status line, headers or body, holds an upstream key, the proxy's password or the admin
 * password; and the upstream never sees a method other than GET, POST or DELETE.
 */
describe('no secret comes back, whatever the method, from an upstream that echoes requests', {
  timeout: PROPERTY_TIMEOUT_MS,
}, () => {
  it('TRACE with a client key is refused (405) and never reaches the echoing upstream', async () => {
    test = await startEchoSetup()
    const { port: listening } = new URL(test.url)
    for (const prefix of ['/v1', '/api/proxy']) {
      const result = await exchange(Number(listening), {
        method: 'TRACE',
        target: `${prefix}/models`,
        headers: { authorization: `Bearer ${TEST_CLIENT_KEY}` },
      })
      const [answer] = result.answers
      expect(answer?.status).toBe(405)
      expect(answer?.headers.get('allow')).toBe('GET, POST, DELETE')
      expect(JSON.parse(answer?.body ?? '')).toMatchObject({
        error: { code: 'method_not_allowed', type: 'invalid_request_error' },
      })
      for (const key of KEYS) expect(result.received.includes(key)).toBe(false)
    }
    expect(test.upstream.requests).toEqual([])
  })

  it('holds for every method and path, hostile input and credentials included', async ({
    annotate,
  }) => {
    test = await startEchoSetup()
    port = Number(new URL(test.url).port)
    statuses.clear()
    Object.assign(seen, { refused: 0, traces: 0, passedThrough: 0, passedThroughMasked: 0 })
    await fc.assert(fc.asyncProperty(echoRequest, sendAndScan), { seed: SEED, numRuns: RUNS })
    await showSeen(annotate)
    const { requests } = test.upstream
    // Only the forwarded methods ever went out, and only through the proxy lane (127.0.0.2),
    // whose password was in use all along.
    expect(new Set(requests.map((r) => r.method))).toEqual(new Set(['GET', 'POST', 'DELETE']))
    expect(new Set(requests.map((r) => r.sourceAddress))).toEqual(new Set(['127.0.0.2']))
    // The keys were there to be echoed: upstream got them, and the refusals were many.
    const withKey = requests.filter((r) => r.key !== undefined && KEYS.includes(r.key))
    expect(withKey.length).toBeGreaterThan(RUNS / 20)
    expect(seen.refused).toBeGreaterThan(RUNS / 20)
    expect(seen.traces).toBeGreaterThan(0)
    expect(seen.passedThroughMasked).toBeGreaterThan(0)
  })

  it('holds for every admin route and method with the admin login (key checks call the echo)', async ({
    annotate,
  }) => {
    test = await startEchoSetup()
    port = Number(new URL(test.url).port)
    statuses.clear()
    const paths = [...ADMIN_PATHS.map((rest) => `/api/manage${rest}`), '/metrics', '/healthz']
    const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'TRACE', 'OPTIONS', 'HEAD']
    for (const target of paths) {
      for (const method of methods) {
        const withBody = method !== 'GET' && method !== 'HEAD' && method !== 'TRACE'
        const request: EchoRequest = {
          method,
          target,
          body: withBody
            ? { contentType: 'application/json', payload: '{}' }
            : { contentType: undefined, payload: undefined },
          headers: {},
          credentials: { valid: true, headers: { authorization: basicAuth() } },
        }
        await sendAndScan(request)
      }
    }
    await annotate(`statuses ${JSON.stringify(Object.fromEntries(statuses))}`)
    // The key checks went out with the keys, and got the keys echoed back.
    const checks = test.upstream.requests.filter((r) => r.path === '/v1/user/info')
    expect(checks.map((r) => r.key).sort()).toEqual(KEYS)
    expect(statuses.get('admin 200')).toBeGreaterThan(10)
  })

  /**
   * A 2xx answer is relayed as it streams, but the key the attempt went out with is masked
   * wherever the body quotes it (packages/proxy/src/secret-masker.ts): an upstream, or a proxy
   * on the way, that echoes the request's Authorization never hands the pool's key to the client.
   */
  it('a 2xx body quoting the key reaches the client with the key masked, same length', async () => {
    test = await startEchoSetup()
    const response = await fetch(`${test.url}/v1/models`, {
      headers: { authorization: `Bearer ${TEST_CLIENT_KEY}` },
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('message/http')
    const body = await response.text()
    expect(body.startsWith('GET /v1/models HTTP/1.1\r\n')).toBe(true)
    for (const key of KEYS) expect(body).not.toContain(key)
    const quoted = /authorization: Bearer (\S+)\r\n/.exec(body)?.[1]
    expect(quoted?.length).toBe(KEYS[0]?.length)
    expect(quoted).toMatch(/^sk-.{3}\*+.{4}$/)
    expect(Number(response.headers.get('content-length') ?? body.length)).toBe(
      Buffer.byteLength(body),
    )
  })
})
