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
