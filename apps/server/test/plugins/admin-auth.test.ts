import { describe, expect, it } from 'vitest'
import { basicAuth, buildTestApp } from '../helpers/test-app.js'

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
    let time = Date.parse('2025-01-01T00:00:00Z')
    const { app } = await buildTestApp({}, { now: () => time })
    const attempt = (password: string) =>
      app.inject({
        method: 'GET',
        url: '/api/manage/config',
        headers: { authorization: basicAuth(password) },
      })
    for (let i = 0; i < 10; i++) expect((await attempt(`wrong-${i}`)).statusCode).toBe(401)

    time += 10 * 60_000 - 1
    const blocked = await attempt('test-admin-password')
    expect(blocked.statusCode).toBe(429)
    expect(blocked.headers['retry-after']).toBe('1')
    time += 1
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

  it('behind TRUST_PROXY, compares Origin with the host the proxy forwards', async () => {
    const { app } = await buildTestApp({ TRUST_PROXY: 'true' })
    const post = (forwardedHost: string) =>
      app.inject({
        method: 'POST',
        url: '/api/manage/client-keys',
        remoteAddress: '10.0.0.2',
        headers: {
          authorization: basicAuth(),
          host: 'sfp-backend:3000',
          'x-forwarded-host': forwardedHost,
          origin: 'https://proxy.example',
        },
        payload: { name: 'ok' },
      })
    expect((await post('proxy.example')).statusCode).toBe(201)
    expect((await post('other.example')).statusCode).toBe(403)
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
