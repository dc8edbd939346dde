import { explanation, parseConfig } from '@sfp/schemas'
import { createManualClock } from '@sfp/test-support'
import Fastify, { type InjectOptions } from 'fastify'
import fp from 'fastify-plugin'
import { describe, expect, it } from 'vitest'
import app from '../../src/app.js'
import { basicAuth, buildTestApp, TEST_CLIENT_KEY, tempDataDir } from '../helpers/test-app.js'

/** What the proxy reports for an answer with one of EGRESS_BLOCK_CODES. */
const BLOCKED = explanation('egress_blocked', { status: 403 })

/**
 * The old siliconflowProxy's clients, as they call us: its page sends DELETE and PUT announcing
 * JSON with no body; its monitors read `GET /api/proxy/health` without a key.
 */

const admin = { authorization: basicAuth() }

interface AdminRoute {
  method: string
  url: string
}

/**
 * Every admin route that is not a read, as the app registers them (an instance that is only
 * built, never asked anything): nothing hand-picked, a route added later is covered too.
 */
async function adminWriteRoutes(): Promise<AdminRoute[]> {
  const routes: AdminRoute[] = []
  const fastify = Fastify({ logger: false })
  fastify.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    for (const method of methods) {
      if (route.url.startsWith('/api/manage/') && !['GET', 'HEAD'].includes(method)) {
        routes.push({ method, url: route.url })
      }
    }
  })
  const config = parseConfig({ LOG_LEVEL: 'silent', NODE_ENV: 'test', DATA_DIR: tempDataDir() })
  await fastify.register(fp(app), { config, announce: () => {} })
  await fastify.ready()
  await fastify.close()
  // Deletions last, so that what the other routes act on is still there.
  return routes.sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'))
}

/** A server with one upstream key and one client key (id 1 each) for the routes' `:id`. */
async function seededApp() {
  const test = await buildTestApp()
  const key = await test.app.inject({
    method: 'POST',
    url: '/api/manage/api-keys',
    headers: admin,
    payload: { api_key: 'sk-old-habits-upstream-0001' },
  })
  expect(key.statusCode).toBe(201)
  const client = await test.app.inject({
    method: 'POST',
    url: '/api/manage/client-keys',
    headers: admin,
    payload: { name: 'old page' },
  })
  expect(client.statusCode).toBe(201)
  return test
}

/** Each route asked once, in order, with the same (empty) body and the given content type. */
async function answers(routes: AdminRoute[], contentType: string | undefined) {
  const { app: server } = await seededApp()
  const statuses: string[] = []
  for (const route of routes) {
    const request: InjectOptions = {
      method: route.method as InjectOptions['method'],
      url: route.url.replace(/:\w+/g, '1'),
      headers: contentType === undefined ? admin : { ...admin, 'content-type': contentType },
      ...(contentType === undefined ? {} : { payload: '' }),
    }
    const response = await server.inject(request)
    const code = response.statusCode >= 400 ? ` ${response.json().error.code}` : ''
    statuses.push(`${route.method} ${route.url} -> ${response.statusCode}${code}`)
  }
  return statuses
}

describe('an empty body announced with a content type (the old page: DELETE/PUT as JSON)', () => {
  it('is answered on every admin write route exactly as no body is', async () => {
    const routes = await adminWriteRoutes()
    // The enumeration found the routes the old page calls without a body.
    expect(routes).toContainEqual({ method: 'PUT', url: '/api/manage/api-keys/:id/activate' })
    expect(routes).toContainEqual({ method: 'POST', url: '/api/manage/api-keys/:id/check' })
    expect(routes).toContainEqual({ method: 'POST', url: '/api/manage/egresses/:id/check' })
    expect(routes).toContainEqual({ method: 'DELETE', url: '/api/manage/api-keys/:id' })
    const withoutBody = await answers(routes, undefined)
    // Routes that take no body do their work (no 4xx) when asked without one.
    expect(withoutBody).toContain('PUT /api/manage/api-keys/:id/activate -> 200')
    expect(withoutBody).toContain('DELETE /api/manage/api-keys/:id -> 204')
    expect(withoutBody).toContain('DELETE /api/manage/client-keys/:id -> 204')
    for (const contentType of [
      'application/json',
      'application/json; charset=utf-8',
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/octet-stream',
    ]) {
      const withEmptyBody = await answers(routes, contentType)
      expect({ contentType, answers: withEmptyBody }).toEqual({
        contentType,
        answers: withoutBody,
      })
    }
  })

  it('still refuses a non-empty malformed JSON body 400 invalid_json', async () => {
    const { app: server } = await seededApp()
    for (const [method, url] of [
      ['POST', '/api/manage/api-keys'],
      ['PUT', '/api/manage/api-keys/1/activate'],
    ] as const) {
      const response = await server.inject({
        method,
        url,
        headers: { ...admin, 'content-type': 'application/json' },
        payload: '{"api_key": ',
      })
      expect(response.statusCode).toBe(400)
      expect(response.json().error).toMatchObject({
        code: 'invalid_json',
        type: 'invalid_request_error',
      })
    }
  })

  it('refuses an empty body to a route that takes one as a missing body, naming the fields', async () => {
    const { app: server } = await seededApp()
    const response = await server.inject({
      method: 'POST',
      url: '/api/manage/client-keys',
      headers: { ...admin, 'content-type': 'application/json' },
      payload: '',
    })
    expect(response.statusCode).toBe(400)
    expect(response.json().error.code).toBe('validation_error')
  })

  it('still answers a non-empty body of an unknown type 415', async () => {
    const { app: server } = await seededApp()
    const response = await server.inject({
      method: 'PUT',
      url: '/api/manage/api-keys/1/activate',
      headers: { ...admin, 'content-type': 'application/xml' },
      payload: '<activate/>',
    })
    expect(response.statusCode).toBe(415)
  })
})

describe('GET /api/proxy/health (the old health answer)', () => {
  it('answers ok without any key, and is never taken for a proxied path', async () => {
    const { app: server } = await buildTestApp()
    const response = await server.inject({ method: 'GET', url: '/api/proxy/health' })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ status: 'ok', ip_blocked: false, block_info: null })
    // The rest of /api/proxy is still the proxy: a key is asked for.
    const proxied = await server.inject({ method: 'GET', url: '/api/proxy/models' })
    expect(proxied.statusCode).toBe(401)
  })

  it('is blocked, with when and why, once the only egress (direct) is blocked by upstream', async () => {
    const clock = createManualClock(Date.parse('2026-12-06T10:00:00.000Z'))
    const { app: server } = await buildTestApp({ EGRESS_BLOCK_MINUTES: '30' }, { clock })
    const [direct] = server.egress.lanes()
    if (direct === undefined) throw new Error('no direct egress')
    server.egress.markBlocked(direct.id, BLOCKED)
    const response = await server.inject({ method: 'GET', url: '/api/proxy/health' })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({
      status: 'blocked',
      ip_blocked: true,
      block_info: {
        unblock_at: '2026-12-06T10:30:00.000Z',
        reason: 'upstream answered HTTP 403 with a block code',
      },
    })
    // The same request with a client key is still answered here, not forwarded.
    const withKey = await server.inject({
      method: 'GET',
      url: '/api/proxy/health',
      headers: { authorization: `Bearer ${TEST_CLIENT_KEY}` },
    })
    expect(withKey.json().status).toBe('blocked')
    clock.advance(31 * 60_000)
    const later = await server.inject({ method: 'GET', url: '/api/proxy/health' })
    expect(later.json()).toEqual({ status: 'ok', ip_blocked: false, block_info: null })
  })

  it('stays ok while another egress can serve', async () => {
    const { app: server } = await buildTestApp({ EGRESS_PROXIES: 'http://127.0.0.1:3128' })
    const lanes = server.egress.lanes()
    expect(lanes.map((lane) => lane.state())).toEqual(['up', 'up'])
    const direct = lanes.find((lane) => lane.builtin)
    if (direct === undefined) throw new Error('no direct egress')
    server.egress.markBlocked(direct.id, BLOCKED)
    const response = await server.inject({ method: 'GET', url: '/api/proxy/health' })
    expect(response.json()).toEqual({ status: 'ok', ip_blocked: false, block_info: null })
  })
})
