import { createManualClock } from '@sfp/test-support'
import { describe, expect, it } from 'vitest'
import { databaseDigest } from '../helpers/database-digest.js'
import { basicAuth, buildTestApp, sqliteOf } from '../helpers/test-app.js'

describe('admin auth', () => {
  it('lets the admin in with the right password', async () => {
    const { app } = await buildTestApp()
    const response = await app.inject({
      method: 'GET',
      url: '/api/manage/config',
      headers: { authorization: basicAuth() },
    })
    expect(response.statusCode).toBe(200)
  })

  it.each([
    ['no credentials', undefined],
    ['a wrong password', basicAuth('wrong-password')],
    ['a wrong user', basicAuth(undefined, 'root')],
    ['a malformed header', 'Basic !!!'],
    ['another scheme', 'Bearer sk-test-client-key-0001'],
  ])(
    'answers 401 to %s, in the error envelope, with a Basic challenge',
    async (_, authorization) => {
      const { app } = await buildTestApp()
      const response = await app.inject({
        method: 'GET',
        url: '/api/manage/config',
        headers: authorization ? { authorization } : {},
      })
      expect(response.statusCode).toBe(401)
      expect(response.headers['www-authenticate']).toMatch(/^Basic realm="SiliconFlow Proxy"/)
      expect(response.json()).toMatchObject({
        error: { code: 'unauthorized', type: 'authentication_error' },
      })
    },
  )

  it('sends no Basic challenge to the dashboard, so browsers show no native dialog', async () => {
    const { app } = await buildTestApp()
    const response = await app.inject({
      method: 'GET',
      url: '/api/manage/config',
      headers: { 'x-sfp-client': 'dashboard', authorization: basicAuth('nope-nope') },
    })
    expect(response.statusCode).toBe(401)
    expect(response.headers['www-authenticate']).toBeUndefined()
  })

  it('answers 429 after 10 failed logins from one address, even to the right password', async () => {
    const { app } = await buildTestApp()
    const attempt = (password: string, remoteAddress = '203.0.113.7') =>
      app.inject({
        method: 'GET',
        url: '/api/manage/config',
        remoteAddress,
        headers: { authorization: basicAuth(password) },
      })
    for (let i = 0; i < 10; i++) expect((await attempt(`wrong-${i}`)).statusCode).toBe(401)

    const blocked = await attempt('test-admin-password')
    expect(blocked.statusCode).toBe(429)
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(590)
    expect(blocked.json()).toMatchObject({ error: { code: 'too_many_failed_logins' } })

    // Another address is not affected.
    expect((await attempt('test-admin-password', '203.0.113.8')).statusCode).toBe(200)
  })

  it('lets an address try again once the window of its failed logins has passed', async () => {
    const clock = createManualClock(Date.parse('2025-01-01T00:00:00Z'))
    const { app } = await buildTestApp({}, { clock })
    const attempt = (password: string) =>
      app.inject({
        method: 'GET',
        url: '/api/manage/config',
        headers: { authorization: basicAuth(password) },
      })
    for (let i = 0; i < 10; i++) expect((await attempt(`wrong-${i}`)).statusCode).toBe(401)

    clock.advance(10 * 60_000 - 1)
    const blocked = await attempt('test-admin-password')
    expect(blocked.statusCode).toBe(429)
    expect(blocked.headers['retry-after']).toBe('1')
    clock.advance(1)
    expect((await attempt('test-admin-password')).statusCode).toBe(200)
  })

  it('behind TRUST_PROXY, counts failures per client address the proxy saw', async () => {
    const { app } = await buildTestApp({ TRUST_PROXY: 'true' })
    // The proxy appends the address it saw; whatever the client sent itself comes before it.
    const attempt = (password: string, forwardedFor: string) =>
      app.inject({
        method: 'GET',
        url: '/api/manage/config',
        remoteAddress: '10.0.0.2',
        headers: { authorization: basicAuth(password), 'x-forwarded-for': forwardedFor },
      })
    for (let i = 0; i < 10; i++) {
      const response = await attempt(`wrong-${i}`, `198.51.100.${i}, 203.0.113.7`)
      expect(response.statusCode).toBe(401)
    }
    const blocked = await attempt('test-admin-password', '198.51.100.99, 203.0.113.7')
    expect(blocked.statusCode).toBe(429)

    // Another client behind the same proxy is not affected.
    expect((await attempt('test-admin-password', '203.0.113.8')).statusCode).toBe(200)
  })

  it.each([
    ['Sec-Fetch-Site cross-site', { 'sec-fetch-site': 'cross-site' }],
    ['Sec-Fetch-Site same-site', { 'sec-fetch-site': 'same-site' }],
    ['a foreign Origin', { origin: 'https://evil.example' }],
    ['an opaque Origin', { origin: 'null' }],
  ])('refuses state-changing requests with %s (403)', async (_, headers) => {
    const { app } = await buildTestApp()
    const response = await app.inject({
      method: 'POST',
      url: '/api/manage/client-keys',
      headers: { authorization: basicAuth(), ...headers },
      payload: { name: 'x' },
    })
    expect(response.statusCode).toBe(403)
    expect(response.json()).toMatchObject({ error: { code: 'cross_site_request' } })
    expect(app.clientKeys.list().keys).toEqual([])
  })

  it.each([
    [
      'Sec-Fetch-Site same-origin, through a proxy that rewrote Host',
      {
        host: 'sfp-backend:3000',
        origin: 'https://proxy.example',
        'sec-fetch-site': 'same-origin',
      },
    ],
    ['Sec-Fetch-Site none (typed in the address bar)', { 'sec-fetch-site': 'none' }],
    [
      'only an Origin matching Host',
      { host: 'proxy.local:3000', origin: 'http://proxy.local:3000' },
    ],
    ['neither header (curl)', {}],
  ])('accepts a state-changing request with %s', async (_, headers) => {
    const { app } = await buildTestApp()
    const response = await app.inject({
      method: 'POST',
      url: '/api/manage/client-keys',
      headers: { authorization: basicAuth(), ...headers },
      payload: { name: 'ok' },
    })
    expect(response.statusCode).toBe(201)
  })

  it('behind TRUST_PROXY, compares Origin with the scheme and host the proxy forwards', async () => {
    const { app } = await buildTestApp({ TRUST_PROXY: 'true' })
    const post = (forwarded: Record<string, string>) =>
      app.inject({
        method: 'POST',
        url: '/api/manage/client-keys',
        remoteAddress: '10.0.0.2',
        headers: {
          authorization: basicAuth(),
          host: 'sfp-backend:3000',
          origin: 'https://proxy.example',
          ...forwarded,
        },
        payload: { name: 'ok' },
      })
    const https = { 'x-forwarded-proto': 'https' }
    expect((await post({ ...https, 'x-forwarded-host': 'proxy.example' })).statusCode).toBe(201)
    expect((await post({ ...https, 'x-forwarded-host': 'other.example' })).statusCode).toBe(403)
    // Without X-Forwarded-Proto the client spoke plain HTTP to us: another scheme, another origin.
    expect((await post({ 'x-forwarded-host': 'proxy.example' })).statusCode).toBe(403)
  })

  it.each([
    ['a body over BODY_LIMIT_MB', 'x'.repeat(20_000)],
    ['a malformed JSON body', '{"name":'],
  ])('answers 401 to an unauthenticated POST with %s, before reading it', async (_, payload) => {
    const { app } = await buildTestApp({ BODY_LIMIT_MB: '0.01' })
    const response = await app.inject({
      method: 'POST',
      url: '/api/manage/client-keys',
      headers: { 'content-type': 'application/json' },
      payload,
    })
    expect(response.statusCode).toBe(401)
    expect(response.json()).toMatchObject({ error: { code: 'unauthorized' } })
    expect(app.clientKeys.list().keys).toEqual([])
  })

  it('accepts state-changing requests from the same origin and reads from anywhere', async () => {
    const { app } = await buildTestApp()
    const post = await app.inject({
      method: 'POST',
      url: '/api/manage/client-keys',
      headers: {
        authorization: basicAuth(),
        host: 'proxy.local:3000',
        origin: 'http://proxy.local:3000',
        'sec-fetch-site': 'same-origin',
      },
      payload: { name: 'ok' },
    })
    expect(post.statusCode).toBe(201)
    const read = await app.inject({
      method: 'GET',
      url: '/api/manage/client-keys',
      headers: { authorization: basicAuth(), 'sec-fetch-site': 'cross-site' },
    })
    expect(read.statusCode).toBe(200)
  })
})

/**
 * Regression (hostile tester): a state-changing request whose `Origin` was the server's own origin
 * got 403 `cross_site_request` when the two were spelled differently (`Host: localhost:80` against
 * `Origin: http://localhost`, an upper-case Host, an IPv6 literal), and the scheme was not compared
 * at all. Origins are now compared as scheme, host and port against `request.protocol` +
 * `request.host`, whenever `Sec-Fetch-Site` is absent.
 */
describe('admin writes and the Origin header', () => {
  const KEY = `sk-origin${'o'.repeat(40)}`

  /** One request per state-changing method, each of which succeeds on the seeded app. */
  const WRITES = [
    { method: 'POST', url: '/api/manage/client-keys', payload: { name: 'new' }, status: 201 },
    { method: 'PUT', url: '/api/manage/api-keys/1/activate', status: 200 },
    { method: 'PATCH', url: '/api/manage/api-keys/1', payload: { label: 'renamed' }, status: 200 },
    { method: 'DELETE', url: '/api/manage/client-keys/1', status: 204 },
  ] as const

  type Case = [
    name: string,
    verdict: 'same-origin' | 'cross-site',
    headers: Record<string, string>,
    env?: Record<string, string>,
  ]

  /** A request from behind TRUST_PROXY comes from the proxy's address (any address is trusted). */
  const PROXIED = { TRUST_PROXY: 'true' }

  const CASES: Case[] = [
    // Same origin, however it is spelled.
    [
      'Origin = Host',
      'same-origin',
      { host: 'proxy.local:3000', origin: 'http://proxy.local:3000' },
    ],
    [
      'no port on either side',
      'same-origin',
      { host: 'proxy.local', origin: 'http://proxy.local' },
    ],
    [
      'port 80 in Host only',
      'same-origin',
      { host: 'proxy.local:80', origin: 'http://proxy.local' },
    ],
    [
      'port 80 in Origin only',
      'same-origin',
      { host: 'proxy.local', origin: 'http://proxy.local:80' },
    ],
    ["inject's own Host (localhost:80)", 'same-origin', { origin: 'http://localhost' }],
    [
      'an upper-case Host',
      'same-origin',
      { host: 'PROXY.Local:3000', origin: 'http://proxy.local:3000' },
    ],
    [
      'an upper-case Origin',
      'same-origin',
      { host: 'proxy.local:3000', origin: 'HTTP://PROXY.LOCAL:3000' },
    ],
    ['an IPv4 Host', 'same-origin', { host: '127.0.0.1:3000', origin: 'http://127.0.0.1:3000' }],
    ['an IPv6 Host', 'same-origin', { host: '[::1]:3000', origin: 'http://[::1]:3000' }],
    [
      'an IPv6 Host written out',
      'same-origin',
      { host: '[0:0:0:0:0:0:0:1]:3000', origin: 'http://[::1]:3000' },
    ],
    ['an IPv6 Host on port 80', 'same-origin', { host: '[::1]', origin: 'http://[::1]:80' }],
    // Another scheme, port or host.
    [
      'another scheme',
      'cross-site',
      { host: 'proxy.local:3000', origin: 'https://proxy.local:3000' },
    ],
    [
      'https on port 443 to plain http',
      'cross-site',
      { host: 'proxy.local:443', origin: 'https://proxy.local' },
    ],
    ['another port', 'cross-site', { host: 'proxy.local:3000', origin: 'http://proxy.local:3001' }],
    [
      'a default port against another',
      'cross-site',
      { host: 'proxy.local:3000', origin: 'http://proxy.local' },
    ],
    [
      'another host',
      'cross-site',
      { host: 'proxy.local:3000', origin: 'http://evil.example:3000' },
    ],
    [
      'a host that ends like ours',
      'cross-site',
      { host: 'proxy.local:3000', origin: 'http://evil-proxy.local:3000' },
    ],
    ['another IPv6 host', 'cross-site', { host: '[::1]:3000', origin: 'http://[::2]:3000' }],
    ['Origin: null', 'cross-site', { host: 'proxy.local:3000', origin: 'null' }],
    ['a file: origin', 'cross-site', { host: 'proxy.local:3000', origin: 'file://' }],
    [
      'an Origin with a path',
      'cross-site',
      { host: 'proxy.local:3000', origin: 'http://proxy.local:3000/x' },
    ],
    [
      'an Origin with a user',
      'cross-site',
      { host: 'proxy.local:3000', origin: 'http://a@proxy.local:3000' },
    ],
    [
      'two Origins',
      'cross-site',
      { host: 'proxy.local', origin: 'http://proxy.local, http://proxy.local' },
    ],
    [
      'an Origin that is no URL',
      'cross-site',
      { host: 'proxy.local:3000', origin: 'proxy.local:3000' },
    ],
    [
      'a Host that is no host',
      'cross-site',
      { host: 'a@proxy.local', origin: 'http://proxy.local' },
    ],
    // Sec-Fetch-Site decides when present.
    [
      'Sec-Fetch-Site same-origin, Origin another',
      'same-origin',
      { 'sec-fetch-site': 'same-origin', origin: 'http://evil.example' },
    ],
    ['Sec-Fetch-Site none', 'same-origin', { 'sec-fetch-site': 'none' }],
    [
      'Sec-Fetch-Site cross-site, Origin ours',
      'cross-site',
      { 'sec-fetch-site': 'cross-site', origin: 'http://localhost' },
    ],
    [
      'Sec-Fetch-Site same-site',
      'cross-site',
      { 'sec-fetch-site': 'same-site', origin: 'http://localhost' },
    ],
    // Behind TRUST_PROXY: the origin the proxy says the client asked for.
    [
      'TRUST_PROXY: forwarded https and host',
      'same-origin',
      {
        host: 'sfp:3000',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'proxy.example',
        origin: 'https://proxy.example',
      },
      PROXIED,
    ],
    [
      'TRUST_PROXY: forwarded host with port 443 spelled out',
      'same-origin',
      {
        host: 'sfp:3000',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'proxy.example:443',
        origin: 'https://proxy.example',
      },
      PROXIED,
    ],
    [
      'TRUST_PROXY: forwarded upper-case scheme and host',
      'same-origin',
      {
        host: 'sfp:3000',
        'x-forwarded-proto': 'HTTPS',
        'x-forwarded-host': 'Proxy.Example',
        origin: 'https://proxy.example',
      },
      PROXIED,
    ],
    [
      'TRUST_PROXY: forwarded https, Host kept',
      'same-origin',
      { host: 'proxy.example', 'x-forwarded-proto': 'https', origin: 'https://proxy.example' },
      PROXIED,
    ],
    [
      'TRUST_PROXY: the entries the trusted hop appended',
      'same-origin',
      {
        host: 'sfp:3000',
        'x-forwarded-proto': 'http, https',
        'x-forwarded-host': 'evil.example, proxy.example',
        origin: 'https://proxy.example',
      },
      PROXIED,
    ],
    [
      'TRUST_PROXY: no forwarded scheme (http) for an https Origin',
      'cross-site',
      { host: 'sfp:3000', 'x-forwarded-host': 'proxy.example', origin: 'https://proxy.example' },
      PROXIED,
    ],
    [
      'TRUST_PROXY: another forwarded host',
      'cross-site',
      {
        host: 'sfp:3000',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'other.example',
        origin: 'https://proxy.example',
      },
      PROXIED,
    ],
    [
      'TRUST_PROXY: an earlier entry the client wrote itself',
      'cross-site',
      {
        host: 'sfp:3000',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'proxy.example, evil.example',
        origin: 'https://proxy.example',
      },
      PROXIED,
    ],
    [
      'TRUST_PROXY: a forwarded scheme that is not http(s)',
      'cross-site',
      {
        host: 'sfp:3000',
        'x-forwarded-proto': 'ftp',
        'x-forwarded-host': 'proxy.example',
        origin: 'ftp://proxy.example',
      },
      PROXIED,
    ],
    // Without TRUST_PROXY the forwarded headers are anyone's: ignored.
    [
      'no TRUST_PROXY: forwarded https and host ignored',
      'cross-site',
      {
        host: 'sfp:3000',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'proxy.example',
        origin: 'https://proxy.example',
      },
    ],
    [
      'no TRUST_PROXY: a forwarded host pointing elsewhere ignored',
      'cross-site',
      {
        host: 'proxy.local:3000',
        'x-forwarded-host': 'evil.example',
        origin: 'http://evil.example',
      },
    ],
    [
      'no TRUST_PROXY: a forwarded scheme ignored',
      'same-origin',
      { host: 'proxy.local:3000', 'x-forwarded-proto': 'https', origin: 'http://proxy.local:3000' },
    ],
  ]

  it.each(CASES)('%s: %s', async (_, verdict, headers, env = {}) => {
    const { app } = await buildTestApp(env)
    await app.keyPool.add({ api_key: KEY })
    await app.clientKeys.create('first')
    const sqlite = sqliteOf(app)
    const send = (method: string, url: string, payload?: object) =>
      app.inject({
        method: method as 'GET',
        url,
        remoteAddress: '10.0.0.2',
        headers: { authorization: basicAuth(), ...headers },
        ...(payload ? { payload } : {}),
      })

    for (const write of WRITES) {
      const before = databaseDigest(sqlite)
      const response = await send(
        write.method,
        write.url,
        'payload' in write ? write.payload : undefined,
      )
      const context = `${write.method} ${write.url}`
      if (verdict === 'same-origin') {
        expect(response.statusCode, `${context}: ${response.body}`).toBe(write.status)
      } else {
        expect(response.statusCode, context).toBe(403)
        expect(response.json(), context).toMatchObject({
          error: { code: 'cross_site_request', type: 'permission_error' },
        })
        expect(databaseDigest(sqlite), `${context} changed the database`).toBe(before)
      }
    }
    // Reads are never refused for where they come from.
    for (const method of ['GET', 'HEAD']) {
      expect((await send(method, '/api/manage/client-keys')).statusCode, method).toBe(200)
    }
  })
})
