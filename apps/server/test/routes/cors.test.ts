import {
  request as httpRequest,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from 'node:http'
import { connect } from 'node:net'
import { describe, expect, it } from 'vitest'
import { CORS_MAX_AGE_SECONDS, EXPOSED_HEADERS } from '../../src/plugins/cors.js'
import { CHAT_MODEL, chatBody, KEY_A, startProxyApp } from '../helpers/proxy-app.js'
import { basicAuth, buildTestApp, TEST_CLIENT_KEY } from '../helpers/test-app.js'

const PAGE = 'https://chat.example.com'
const OTHER_PAGE = 'http://localhost:5173'
const STRANGER = 'https://evil.example'
const CHAT = '/v1/chat/completions'

/** What a browser asks before a `fetch` with the client key and a JSON body (and the SDK's own). */
const preflight = (url: string, origin = PAGE) => ({
  method: 'OPTIONS' as const,
  url,
  headers: {
    origin,
    'access-control-request-method': 'POST',
    'access-control-request-headers': 'authorization,content-type,x-stainless-os,x-stainless-lang',
  },
})

const corsHeaders = (headers: IncomingHttpHeaders | OutgoingHttpHeaders | Headers) => {
  const entries = headers instanceof Headers ? [...headers.entries()] : Object.entries(headers)
  return Object.fromEntries(entries.filter(([name]) => name.startsWith('access-control-')))
}

const chatJson = (extra: Record<string, unknown> = {}) => ({
  authorization: `Bearer ${TEST_CLIENT_KEY}`,
  'content-type': 'application/json',
  ...extra,
})

/** A plain HTTP exchange on a socket of its own: every header exactly as the server sent it. */
function send(
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method, headers: init.headers, agent: false })
    req.on('error', reject)
    req.on('response', (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      )
    })
    req.end(init.body)
  })
}

describe('CORS on the proxy routes (CORS_ORIGINS=*, the default)', () => {
  it.each([CHAT, '/api/proxy/chat/completions', '/v1/models', '/v1', '/api/proxy/x?y=1'])(
    'answers a preflight to %s with 204 and no client key, before the 405 of OPTIONS',
    async (path) => {
      const { app, upstream } = await startProxyApp()
      const response = await app.inject(preflight(path))
      expect(response.statusCode).toBe(204)
      expect(response.body).toBe('')
      expect(corsHeaders(response.headers)).toEqual({
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'GET, POST, DELETE',
        'access-control-allow-headers':
          'authorization, content-type, x-stainless-os, x-stainless-lang',
        'access-control-max-age': String(CORS_MAX_AGE_SECONDS),
      })
      expect(response.headers.vary).toBeUndefined()
      expect(response.headers.connection).not.toBe('close')
      expect(upstream.requests).toHaveLength(0)
    },
  )

  it('answers only header names in Allow-Headers, and none when none were asked', async () => {
    const { app } = await startProxyApp()
    const odd = await app.inject({
      method: 'OPTIONS',
      url: CHAT,
      headers: {
        origin: PAGE,
        'access-control-request-method': 'POST',
        'access-control-request-headers': ' X-Api-Key , bad header, x-api-key,,(x)',
      },
    })
    expect(odd.headers['access-control-allow-headers']).toBe('x-api-key')
    const none = await app.inject({
      method: 'OPTIONS',
      url: '/v1/models',
      headers: { origin: PAGE, 'access-control-request-method': 'GET' },
    })
    expect(none.statusCode).toBe(204)
    expect(none.headers['access-control-allow-headers']).toBeUndefined()
  })

  it('keeps the connection of a preflight alive: a second request follows on it', async () => {
    const { url } = await startProxyApp()
    const { port } = new URL(url)
    const socket = connect(Number(port), '127.0.0.1')
    const head = (path: string) =>
      `OPTIONS ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: ${PAGE}\r\n` +
      'Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: authorization\r\n\r\n'
    let received = ''
    const answers = new Promise<string>((resolve, reject) => {
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString('latin1')
        if (received.split('HTTP/1.1 204').length === 3) resolve(received)
      })
      socket.on('error', reject)
      socket.on('close', () => reject(new Error(`closed after: ${received}`)))
    })
    socket.write(head(CHAT))
    socket.write(head('/api/proxy/chat/completions'))
    const text = await answers
    socket.destroy()
    expect(text.toLowerCase()).not.toContain('connection: close')
    expect(text.toLowerCase().split('access-control-allow-origin: *')).toHaveLength(3)
  })

  it('takes an OPTIONS with a body for no preflight: 401, its body never read', async () => {
    const { url, upstream } = await startProxyApp()
    const answer = await send(`${url}${CHAT}`, {
      method: 'OPTIONS',
      headers: {
        origin: PAGE,
        'access-control-request-method': 'POST',
        'content-type': 'application/json',
        'content-length': '21',
      },
      body: '{"not":"a preflight"}',
    })
    expect(answer.status, answer.body).toBe(401)
    expect(answer.headers.connection).toBe('close')
    expect(answer.headers['access-control-allow-methods']).toBeUndefined()
    expect(upstream.requests).toHaveLength(0)
  })

  it('leaves an OPTIONS that is not a preflight to the proxy: 401 without a key, 405 with one', async () => {
    const { app } = await startProxyApp()
    const noKey = await app.inject({ method: 'OPTIONS', url: CHAT, headers: { origin: PAGE } })
    expect(noKey.statusCode).toBe(401)
    expect(noKey.headers['access-control-allow-origin']).toBe('*')
    const withKey = await app.inject({
      method: 'OPTIONS',
      url: CHAT,
      headers: { authorization: `Bearer ${TEST_CLIENT_KEY}`, origin: PAGE },
    })
    expect(withKey.statusCode).toBe(405)
    expect(withKey.headers.allow).toBe('GET, POST, DELETE')
    expect(corsHeaders(withKey.headers)).toEqual({
      'access-control-allow-origin': '*',
      'access-control-expose-headers': EXPOSED_HEADERS,
    })
  })

  it("gives the proxy's 404 of a bare prefix the headers too", async () => {
    const { app } = await startProxyApp()
    // (A GET of it is the dashboard's 404: its static files claim every GET path left over.)
    const answer = await app.inject({
      method: 'DELETE',
      url: '/api/proxy',
      headers: { authorization: `Bearer ${TEST_CLIENT_KEY}`, origin: PAGE },
    })
    expect(answer.statusCode).toBe(404)
    expect(answer.json()).toMatchObject({ error: { code: 'not_found' } })
    expect(answer.headers['access-control-allow-origin']).toBe('*')
  })

  it("gives the old program's GET /api/proxy/health the headers, as it had them", async () => {
    const { app, upstream } = await startProxyApp()
    const answer = await app.inject({
      method: 'GET',
      url: '/api/proxy/health',
      headers: { origin: PAGE },
    })
    expect(answer.statusCode).toBe(200)
    expect(answer.json()).toMatchObject({ status: 'ok', ip_blocked: false })
    expect(answer.headers['access-control-allow-origin']).toBe('*')
    const asked = await app.inject(preflight('/api/proxy/health'))
    expect(asked.statusCode).toBe(204)
    expect(upstream.requests).toHaveLength(0)
  })

  it('exposes the request id, the trace id and Retry-After', () => {
    const exposed = EXPOSED_HEADERS.split(', ')
    expect(exposed).toEqual(
      expect.arrayContaining(['x-request-id', 'x-siliconcloud-trace-id', 'retry-after', 'allow']),
    )
  })

  it('gives a 200 answer Allow-Origin and Expose-Headers, never the upstream Access-Control-*', async () => {
    const { url, upstream } = await startProxyApp()
    upstream.script({
      match: { path: CHAT },
      fault: {
        kind: 'status',
        status: 200,
        body: { id: 'chatcmpl-1', object: 'chat.completion', choices: [] },
        headers: {
          'access-control-allow-origin': STRANGER,
          'access-control-allow-credentials': 'true',
          'access-control-expose-headers': 'x-upstream-secret',
        },
      },
    })
    const response = await send(`${url}${CHAT}`, {
      method: 'POST',
      headers: chatJson({ origin: PAGE }),
      body: JSON.stringify(chatBody()),
    })
    expect(response.status).toBe(200)
    expect(corsHeaders(response.headers)).toEqual({
      'access-control-allow-origin': '*',
      'access-control-expose-headers': EXPOSED_HEADERS,
    })
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
  })

  it.each([
    ['400 passed through', 400, { code: 20015, message: 'Model does not exist.', data: null }],
    ['429', 429, { message: 'Request was rejected due to rate limiting.', data: null }],
  ])('gives an upstream %s the same headers, not its own', async (_, status, body) => {
    // One key: nothing to fail over to, the answer is the upstream's own status.
    const { url, upstream } = await startProxyApp({}, { keys: [KEY_A] })
    upstream.script({
      match: { path: CHAT },
      times: Number.POSITIVE_INFINITY,
      fault: {
        kind: 'status',
        status,
        body,
        headers: {
          'retry-after': '3',
          'access-control-allow-origin': STRANGER,
          'access-control-allow-credentials': 'true',
        },
      },
    })
    const response = await send(`${url}${CHAT}`, {
      method: 'POST',
      headers: chatJson({ origin: PAGE }),
      body: JSON.stringify(chatBody()),
    })
    expect(response.status).toBe(status)
    expect(corsHeaders(response.headers)).toEqual({
      'access-control-allow-origin': '*',
      'access-control-expose-headers': EXPOSED_HEADERS,
    })
  })

  it('gives the proxy errors the headers too: 401 invalid_client_key, 503 with Retry-After', async () => {
    const { url, upstream } = await startProxyApp()
    const noKey = await send(`${url}/v1/models`, { method: 'GET', headers: { origin: PAGE } })
    expect(noKey.status).toBe(401)
    expect(JSON.parse(noKey.body)).toMatchObject({ error: { code: 'invalid_client_key' } })
    expect(noKey.headers.connection).toBe('close')
    expect(corsHeaders(noKey.headers)).toEqual({
      'access-control-allow-origin': '*',
      'access-control-expose-headers': EXPOSED_HEADERS,
    })

    // 50603: the only egress is blocked, 503 egress_blocked with Retry-After.
    const block = { code: 50603, message: 'System is really busy.', data: null }
    upstream.script({ match: { path: CHAT }, fault: { kind: 'status', status: 503, body: block } })
    const blocked = await send(`${url}${CHAT}`, {
      method: 'POST',
      headers: chatJson({ origin: PAGE }),
      body: JSON.stringify(chatBody()),
    })
    expect(blocked.status).toBe(503)
    expect(JSON.parse(blocked.body)).toMatchObject({ error: { code: 'egress_blocked' } })
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0)
    expect(corsHeaders(blocked.headers)).toEqual({
      'access-control-allow-origin': '*',
      'access-control-expose-headers': EXPOSED_HEADERS,
    })
  })

  it('gives an SSE stream the headers, its events intact', async () => {
    const { url } = await startProxyApp()
    const response = await fetch(`${url}${CHAT}`, {
      method: 'POST',
      headers: chatJson({ origin: PAGE }),
      body: JSON.stringify(chatBody('stream me', { stream: true })),
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/)
    expect(corsHeaders(response.headers)).toEqual({
      'access-control-allow-origin': '*',
      'access-control-expose-headers': EXPOSED_HEADERS,
    })
    const text = await response.text()
    expect(text).toContain(CHAT_MODEL)
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true)
  })
})

describe('CORS_ORIGINS as a list', () => {
  const env = { CORS_ORIGINS: `${PAGE},${OTHER_PAGE}` }

  it.each([PAGE, OTHER_PAGE])(
    'answers a listed origin (%s) with itself and Vary: Origin',
    async (origin) => {
      const { app } = await startProxyApp(env)
      const answer = await app.inject(preflight('/api/proxy/chat/completions', origin))
      expect(answer.statusCode).toBe(204)
      expect(answer.headers['access-control-allow-origin']).toBe(origin)
      expect(answer.headers['access-control-allow-methods']).toBe('GET, POST, DELETE')
      expect(answer.headers.vary).toBe('Origin')

      const models = await app.inject({
        method: 'GET',
        url: '/v1/models',
        headers: { authorization: `Bearer ${TEST_CLIENT_KEY}`, origin },
      })
      expect(models.statusCode).toBe(200)
      expect(corsHeaders(models.headers)).toEqual({
        'access-control-allow-origin': origin,
        'access-control-expose-headers': EXPOSED_HEADERS,
      })
      expect(models.headers.vary).toBe('Origin')
    },
  )

  it('gives an unlisted origin no Access-Control-* header at all, preflight or not', async () => {
    const { app, upstream } = await startProxyApp(env)
    const answer = await app.inject(preflight(CHAT, STRANGER))
    expect(answer.statusCode).toBe(204)
    expect(corsHeaders(answer.headers)).toEqual({})
    expect(answer.headers.vary).toBe('Origin')
    expect(upstream.requests).toHaveLength(0)

    for (const origin of [STRANGER, `${PAGE}:8443`, 'null']) {
      const models = await app.inject({
        method: 'GET',
        url: '/v1/models',
        headers: { authorization: `Bearer ${TEST_CLIENT_KEY}`, origin },
      })
      expect(models.statusCode).toBe(200)
      expect(corsHeaders(models.headers)).toEqual({})
      expect(models.headers.vary).toBe('Origin')
    }
  })

  it('is shown in /api/manage/config', async () => {
    const { app } = await buildTestApp(env)
    const answer = await app.inject({
      method: 'GET',
      url: '/api/manage/config',
      headers: { authorization: basicAuth() },
    })
    expect(answer.statusCode).toBe(200)
    expect(answer.json<{ settings: unknown[] }>().settings).toContainEqual(
      expect.objectContaining({
        name: 'CORS_ORIGINS',
        value: `${PAGE},${OTHER_PAGE}`,
        secret: false,
      }),
    )
  })

  it('answers a request without Origin (a server-side client) without Allow-Origin', async () => {
    const { app } = await startProxyApp(env)
    const models = await app.inject({
      method: 'GET',
      url: '/v1/models',
      headers: { authorization: `Bearer ${TEST_CLIENT_KEY}` },
    })
    expect(models.statusCode).toBe(200)
    expect(corsHeaders(models.headers)).toEqual({})
  })
})

describe('no CORS outside the proxy routes', () => {
  it.each(['/api/manage/status', '/api/manage/keys', '/metrics', '/healthz', '/'])(
    'a preflight to %s gets no Access-Control-* header',
    async (path) => {
      const { app } = await buildTestApp()
      const answer = await app.inject({
        method: 'OPTIONS',
        url: path,
        headers: {
          origin: PAGE,
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'authorization',
        },
      })
      expect(answer.statusCode).not.toBe(204)
      expect(corsHeaders(answer.headers)).toEqual({})
    },
  )

  it.each(['/api/manage/status', '/metrics', '/healthz'])(
    'an answer of %s carries no Access-Control-* header, even to a page with the password',
    async (path) => {
      const { app } = await buildTestApp()
      const answer = await app.inject({
        method: 'GET',
        url: path,
        headers: { origin: PAGE, authorization: basicAuth() },
      })
      expect(answer.statusCode).toBe(200)
      expect(corsHeaders(answer.headers)).toEqual({})
    },
  )
})
