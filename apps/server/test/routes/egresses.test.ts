import { Writable } from 'node:stream'
import { egressViewSchema, listEgressesResponseSchema } from '@sfp/schemas'
import { describe, expect, it } from 'vitest'
import { databaseDigest } from '../helpers/database-digest.js'
import {
  PROXY_PASSWORD,
  PROXY_USER,
  startLaneProxies,
  startLanesApp,
} from '../helpers/lanes-app.js'
import { basicAuth, buildTestApp, sqliteOf, TEST_ADMIN_PASSWORD } from '../helpers/test-app.js'

const admin = { authorization: basicAuth() }
const SECRET = 'pr0xy-pa55word'

async function appWithEgresses(env: Record<string, string> = {}) {
  const lines: string[] = []
  const logger = {
    level: 'debug',
    stream: new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk))
        done()
      },
    }),
  }
  const test = await buildTestApp(env, { logger })
  const inject = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
    test.app.inject({
      method,
      url: `/api/manage${url}`,
      headers: admin,
      ...(payload === undefined ? {} : { payload: payload as object }),
    })
  return { ...test, inject, lines }
}

describe('GET /api/manage/egresses', () => {
  it('lists the built-in direct egress and the EGRESS_PROXIES ones, passwords masked', async () => {
    const { inject } = await appWithEgresses({
      EGRESS_PROXIES: `socks5h://alice:${SECRET}@10.0.0.9:1080,http://10.0.0.8:3128`,
    })
    const response = await inject('GET', '/egresses')
    expect(response.statusCode).toBe(200)
    const { egresses } = listEgressesResponseSchema.parse(response.json())
    expect(egresses.map((egress) => [egress.kind, egress.url, egress.state])).toEqual([
      ['direct', 'direct', 'up'],
      ['socks5', 'socks5h://alice:***@10.0.0.9:1080', 'up'],
      ['http', 'http://10.0.0.8:3128', 'up'],
    ])
    expect(response.body).not.toContain(SECRET)
  })
})

describe('POST /api/manage/egresses', () => {
  it('adds a proxy (201, password masked) and a second direct egress from a local address', async () => {
    const { inject } = await appWithEgresses()
    const proxy = await inject('POST', '/egresses', {
      url: `https://bob:${encodeURIComponent(SECRET)}@proxy.example:8443`,
      label: '香港',
    })
    expect(proxy.statusCode).toBe(201)
    expect(egressViewSchema.parse(proxy.json())).toMatchObject({
      kind: 'https',
      url: 'https://bob:***@proxy.example:8443',
      label: '香港',
      enabled: true,
      state: 'up',
      inFlight: 0,
    })
    expect(proxy.body).not.toContain(SECRET)
    const direct = await inject('POST', '/egresses', { url: 'direct', localAddress: '127.0.0.9' })
    expect(direct.statusCode).toBe(201)
    expect(direct.json()).toMatchObject({
      kind: 'direct',
      url: 'direct',
      localAddress: '127.0.0.9',
    })
  })

  it.each([
    [
      'an unknown scheme',
      { url: 'ftp://10.0.0.1:21' },
      'the scheme must be http, https, socks5 or socks5h',
    ],
    ['a missing port', { url: 'http://10.0.0.1' }, 'must be scheme://[user:password@]host:port'],
    ['spaces', { url: 'http://10.0.0.1: 80' }, 'must not contain spaces'],
    ['a path', { url: 'http://10.0.0.1:80/x' }, 'must be scheme://[user:password@]host:port'],
    [
      'a 10 KB string',
      { url: `http://${'a'.repeat(10_240)}:80` },
      'must be at most 2048 characters',
    ],
    [
      'a port out of range',
      { url: 'socks5://10.0.0.1:70000' },
      'the port must be between 1 and 65535',
    ],
    [
      'a bad local address',
      { url: 'direct', localAddress: 'not-an-ip' },
      'must be an IPv4 or IPv6',
    ],
    ['an unknown field', { url: 'direct', password: 'x' }, 'Unrecognized key'],
  ])('refuses %s with 400 naming the field, changing nothing', async (_case, body, reason) => {
    const { inject, app } = await appWithEgresses()
    const before = databaseDigest(sqliteOf(app), ['upstream_keys', 'settings'])
    const count = app.egress.list().length
    const response = await inject('POST', '/egresses', body)
    expect(response.statusCode).toBe(400)
    const error = response.json().error
    expect(error.code).toBe('validation_error')
    expect(JSON.stringify(error.fields)).toContain(reason)
    expect(app.egress.list()).toHaveLength(count)
    expect(databaseDigest(sqliteOf(app), ['upstream_keys', 'settings'])).toBe(before)
  })

  it('refuses the same scheme, host and port twice with 409, whatever the credentials', async () => {
    const { inject, app } = await appWithEgresses()
    expect(
      (await inject('POST', '/egresses', { url: 'socks5://u:a@10.0.0.1:1080' })).statusCode,
    ).toBe(201)
    const again = await inject('POST', '/egresses', { url: `socks5h://v:${SECRET}@10.0.0.1:1080` })
    expect(again.statusCode).toBe(409)
    expect(again.json().error).toMatchObject({
      code: 'egress_exists',
      type: 'invalid_request_error',
    })
    expect(again.body).not.toContain(SECRET)
    const direct = await inject('POST', '/egresses', { url: 'direct' })
    expect(direct.statusCode).toBe(409)
    expect(app.egress.list()).toHaveLength(2)
  })
})

describe('PATCH and DELETE /api/manage/egresses/:id', () => {
  it('disables, relabels and enables; deletes with 204; refuses the built-in one with 409', async () => {
    const { inject } = await appWithEgresses()
    const created = (await inject('POST', '/egresses', { url: 'http://10.0.0.1:8080' })).json()
    const disabled = await inject('PATCH', `/egresses/${created.id}`, {
      enabled: false,
      label: 'old',
    })
    expect(disabled.json()).toMatchObject({
      enabled: false,
      label: 'old',
      state: 'disabled',
      stateReason: 'disabled by admin',
    })
    expect(
      (await inject('PATCH', `/egresses/${created.id}`, { enabled: true })).json(),
    ).toMatchObject({
      state: 'up',
    })
    expect((await inject('PATCH', `/egresses/${created.id}`, {})).statusCode).toBe(400)
    expect((await inject('DELETE', `/egresses/${created.id}`)).statusCode).toBe(204)
    expect((await inject('DELETE', `/egresses/${created.id}`)).statusCode).toBe(404)
    const builtin = await inject('DELETE', '/egresses/1')
    expect(builtin.statusCode).toBe(409)
    expect(builtin.json().error.code).toBe('egress_builtin')
    for (const bad of ['0x1', '1e0', '-1', 'abc']) {
      expect((await inject('DELETE', `/egresses/${bad}`)).statusCode).toBe(400)
    }
  })

  it('shows the built-in direct egress disabled under EGRESS_DIRECT=false', async () => {
    const { inject } = await appWithEgresses({ EGRESS_DIRECT: 'false' })
    expect((await inject('GET', '/egresses')).json().egresses[0]).toMatchObject({
      kind: 'direct',
      state: 'disabled',
      stateReason: 'EGRESS_DIRECT=false',
    })
  })
})

describe('POST /api/manage/egresses/:id/check', () => {
  it('opens a connection through a real proxy, sends no key, and says so', async () => {
    const proxies = await startLaneProxies(1, 0)
    const { app, upstream } = await startLanesApp(
      { EGRESS_PROXIES: proxies.urls[0] ?? '' },
      { keyCount: 1 },
    )
    const proxyId = app.egress.list()[1]?.id
    const response = await app.inject({
      method: 'POST',
      url: `/api/manage/egresses/${proxyId}/check`,
      headers: admin,
    })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toMatchObject({ ok: true, error: null })
    expect(typeof response.json().latencyMs).toBe('number')
    expect(upstream.requests).toHaveLength(1)
    expect(upstream.requests[0]).toMatchObject({
      key: undefined,
      sourceAddress: proxies.addresses[0],
    })
    await proxies.http[0]?.kill()
    const dead = await app.inject({
      method: 'POST',
      url: `/api/manage/egresses/${proxyId}/check`,
      headers: admin,
    })
    expect(dead.json()).toMatchObject({ ok: false, latencyMs: null })
    expect(app.egress.view(proxyId ?? 0)).toMatchObject({ state: 'down' })
  })
})

describe('proxy credentials stay secret', () => {
  it('appear in no answer, log line, metric or status, only masked', async () => {
    const proxies = await startLaneProxies(1, 1)
    const { app, url } = await startLanesApp(
      { EGRESS_PROXIES: proxies.urls.join(','), LOG_LEVEL: 'debug' },
      { keyCount: 2 },
    )
    const seen: string[] = []
    const get = async (path: string) => {
      const response = await fetch(`${url}${path}`, { headers: admin })
      seen.push(await response.text())
    }
    await get('/api/manage/egresses')
    await get('/api/manage/status')
    await get('/api/manage/config')
    await get('/metrics')
    await app
      .inject({ method: 'POST', url: '/api/manage/egresses/2/check', headers: admin })
      .then((r) => seen.push(r.body))
    const text = seen.join('\n')
    expect(text).not.toContain(PROXY_PASSWORD)
    expect(text).toContain(`${PROXY_USER}:***@`)
    expect(text).not.toContain(TEST_ADMIN_PASSWORD)
  })

  it('never logs a proxy URL with its password, even at debug', async () => {
    const { inject, lines } = await appWithEgresses({ LOG_LEVEL: 'debug' })
    await inject('POST', '/egresses', { url: `http://u:${SECRET}@10.0.0.1:8080` })
    await inject('POST', '/egresses', { url: `http://u:${SECRET}@10.0.0.1:8080` })
    await inject('POST', '/egresses', { url: `bogus://u:${SECRET}@10.0.0.1` })
    expect(lines.length).toBeGreaterThan(0)
    expect(lines.join('')).not.toContain(SECRET)
  })
})
