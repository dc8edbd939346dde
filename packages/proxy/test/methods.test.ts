import { METHODS } from 'node:http'
import { request } from 'undici'
import { describe, expect, it } from 'vitest'
import { ALLOWED_METHODS } from '../src/index.js'
import { KEYS } from './helpers/fakes.js'
import {
  CHAT,
  CLIENT_KEY,
  CLIENT_KEY_ID,
  type ProxyTestApp,
  startProxyApp,
} from './helpers/proxy-app.js'
import { type RawAnswer, RawClient } from './helpers/raw-http.js'

const PREFIXES = ['/v1', '/api/proxy'] as const
const FORWARDED = ['GET', 'POST', 'DELETE']
/**
 * Every method Node's parser accepts but the three forwarded ones: those Fastify routes (HEAD,
 * TRACE, PUT, PATCH, OPTIONS, QUERY where Node knows it) and those it does not (PROPFIND, COPY,
 * M-SEARCH...). CONNECT is Node's own business (below).
 */
const REFUSED = METHODS.filter((method) => !FORWARDED.includes(method) && method !== 'CONNECT')

/** One request on its own socket, written byte for byte, read until the server closes it. */
async function send(
  proxy: ProxyTestApp,
  method: string,
  path: string,
  { headers = [`authorization: Bearer ${CLIENT_KEY}`], body = '' } = {},
): Promise<RawAnswer> {
  const client = new RawClient(proxy.url)
  const lines = [`${method} ${path} HTTP/1.1`, 'host: proxy.test', 'connection: close', ...headers]
  if (body !== '') lines.push(`content-length: ${Buffer.byteLength(body)}`)
  await client.write(`${lines.join('\r\n')}\r\n\r\n${body}`)
  return client.answer()
}

function expectRefused(answer: RawAnswer, method: string, context: string): void {
  expect(answer.status, context).toBe(405)
  expect(answer.headers.allow, context).toBe('GET, POST, DELETE')
  // A HEAD answer has no body (the refusal's headers are the same).
  if (method === 'HEAD') return
  expect(answer.headers['content-type'], context).toMatch(/^application\/json/)
  expect(JSON.parse(answer.body), context).toEqual({
    error: {
      message: `The proxy does not forward ${method} requests: use GET, POST, DELETE`,
      type: 'invalid_request_error',
      code: 'method_not_allowed',
      explanation: {
        code: 'method_refused',
        params: { method, allowed: ['GET', 'POST', 'DELETE'] },
      },
    },
  })
}

/**
 * Only GET, POST and DELETE are forwarded: a TRACE relayed with the pool's key would be echoed
 * back, key included, by an upstream (or egress proxy) that follows RFC 9110.
 */
describe('methods of the proxy routes', () => {
  it('refuse every other method on both prefixes: 405 in the envelope, Allow, a record, nothing sent', async () => {
    const proxy = await startProxyApp()
    expect(REFUSED).toEqual(expect.arrayContaining(['HEAD', 'TRACE', 'PUT', 'PATCH', 'OPTIONS']))
    expect(REFUSED).toEqual(expect.arrayContaining(['PROPFIND', 'COPY', 'LOCK', 'M-SEARCH']))
    const sent: { method: string; path: string }[] = []
    for (const prefix of PREFIXES) {
      for (const method of REFUSED) {
        const answer = await send(proxy, method, `${prefix}/models?type=text`)
        expectRefused(answer, method, `${method} ${prefix}`)
        sent.push({ method, path: '/v1/models' })
      }
    }
    expect(ALLOWED_METHODS).toBe('GET, POST, DELETE')
    const records = await proxy.waitForRecords(sent.length)
    expect(records).toHaveLength(sent.length)
    expect(records).toEqual(
      sent.map(({ method, path }) =>
        expect.objectContaining({
          method,
          path,
          clientKeyId: CLIENT_KEY_ID,
          status: 405,
          upstreamStatus: null,
          upstreamKeyId: null,
          egressId: null,
          attempts: 0,
          errorType: 'method_not_allowed',
          errorMessage: `The proxy does not forward ${method} requests: use GET, POST, DELETE`,
        }),
      ),
    )
    // Never queued, never sent.
    expect(proxy.dispatch.leases).toEqual([])
    expect(proxy.dispatch.calls).toEqual([])
    expect(proxy.upstream.requests).toEqual([])
  })

  it('the hole: a TRACE never gets the key back from an upstream that echoes it (RFC 9110)', async () => {
    const proxy = await startProxyApp()
    proxy.upstream.script({ fault: { kind: 'echo' }, times: Number.POSITIVE_INFINITY })
    for (const prefix of PREFIXES) {
      const answer = await send(proxy, 'TRACE', `${prefix}/models`)
      expectRefused(answer, 'TRACE', `TRACE ${prefix}`)
      for (const { secret } of KEYS) expect(answer.body).not.toContain(secret)
    }
    expect(proxy.upstream.requests).toEqual([])
  })

  it('refuse before any body is read: a PUT declaring more than the limit gets 405 at once', async () => {
    const proxy = await startProxyApp({ settings: { bodyLimitBytes: 100 } })
    const client = new RawClient(proxy.url)
    await client.write(
      'PUT /v1/files/file-1 HTTP/1.1\r\nhost: proxy.test\r\nconnection: close\r\n' +
        `authorization: Bearer ${CLIENT_KEY}\r\ncontent-type: application/json\r\n` +
        'content-length: 10000000\r\n\r\n{"purpose":',
    )
    const answer = await client.answer()
    expectRefused(answer, 'PUT', 'PUT with a body that never comes')
    expect(answer.answeredAfterMs).toBeLessThan(1000)
    expect((await proxy.waitForRecords(1))[0]).toMatchObject({
      status: 405,
      path: '/v1/files/file-1',
    })
    expect(proxy.upstream.requests).toEqual([])
  })

  it('ask for the client key first: without it any method gets 401 (recorded), nothing is sent', async () => {
    const proxy = await startProxyApp()
    for (const method of ['TRACE', 'PUT', 'HEAD', 'PROPFIND', 'GET']) {
      const answer = await send(proxy, method, '/v1/models', { headers: [] })
      expect(answer.status, method).toBe(401)
    }
    const records = await proxy.waitForRecords(5)
    expect(records.map((record) => [record.method, record.status, record.errorType])).toEqual(
      ['TRACE', 'PUT', 'HEAD', 'PROPFIND', 'GET'].map((method) => [
        method,
        401,
        'invalid_client_key',
      ]),
    )
    expect(proxy.dispatch.leases).toEqual([])
    expect(proxy.upstream.requests).toEqual([])
  })

  it('refuse CONNECT and unknown methods too, whoever answers them', async () => {
    const proxy = await startProxyApp()
    // Over a socket Node answers these itself: CONNECT (no 'connect' listener) is cut, an
    // unknown method is a parse error (400). Neither reaches the routes.
    const connect = await send(proxy, 'CONNECT', '127.0.0.1:443')
    expect(connect.status).toBeNaN()
    expect((await send(proxy, 'FOO', '/v1/models')).status).toBe(400)
    expect((await send(proxy, 'get', '/v1/models')).status).toBe(400)
    // Handed to the routes all the same (inject), CONNECT gets the routes' 405.
    const injected = await proxy.app.inject({
      method: 'CONNECT',
      url: '/v1/models',
      headers: { authorization: `Bearer ${CLIENT_KEY}` },
    })
    expect(injected.statusCode).toBe(405)
    expect(injected.headers.allow).toBe('GET, POST, DELETE')
    expect(injected.json()).toMatchObject({ error: { code: 'method_not_allowed' } })
    expect(proxy.dispatch.leases).toEqual([])
    expect(proxy.upstream.requests).toEqual([])
  })

  it('still forward GET, POST and DELETE, each as itself', async () => {
    const proxy = await startProxyApp()
    const headers = { authorization: `Bearer ${CLIENT_KEY}` }
    const models = await request(`${proxy.url}/v1/models`, { headers })
    expect(models.statusCode).toBe(200)
    expect(await models.body.json()).toMatchObject({ object: 'list' })
    const chat = await request(`${proxy.url}/api/proxy/chat/completions`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(CHAT),
    })
    expect(chat.statusCode).toBe(200)
    expect(await chat.body.json()).toMatchObject({ object: 'chat.completion' })
    const deleted = await request(`${proxy.url}/v1/files/file-x`, { method: 'DELETE', headers })
    // The look-alike has no files: its 404 is passed through.
    expect(deleted.statusCode).toBe(404)
    await deleted.body.dump()
    expect(proxy.upstream.requests.map((r) => [r.method, r.path])).toEqual([
      ['GET', '/v1/models'],
      ['POST', '/v1/chat/completions'],
      ['DELETE', '/v1/files/file-x'],
    ])
    expect(proxy.dispatch.leases).toHaveLength(3)
    const records = await proxy.waitForRecords(3)
    expect(records.map((record) => [record.method, record.status])).toEqual([
      ['GET', 200],
      ['POST', 200],
      ['DELETE', 404],
    ])
  })

  it('answer the bare prefix 404 (with the key) and refuse other methods on it', async () => {
    const proxy = await startProxyApp()
    for (const prefix of PREFIXES) {
      const bare = await send(proxy, 'GET', prefix)
      expect(bare.status).toBe(404)
      expect(JSON.parse(bare.body)).toMatchObject({ error: { code: 'not_found' } })
      expect((await send(proxy, 'GET', prefix, { headers: [] })).status).toBe(401)
      expectRefused(await send(proxy, 'PROPFIND', prefix), 'PROPFIND', `PROPFIND ${prefix}`)
      expectRefused(await send(proxy, 'TRACE', `${prefix}?x=1`), 'TRACE', `TRACE ${prefix}`)
    }
    const records = await proxy.waitForRecords(8)
    expect(records.map((record) => record.status)).toEqual([404, 401, 405, 405, 404, 401, 405, 405])
    expect(proxy.upstream.requests).toEqual([])
  })
})
