import { describe, expect, it } from 'vitest'
import {
  basicAuth,
  buildTestApp,
  TEST_ADMIN_PASSWORD,
  TEST_CLIENT_KEY,
} from '../helpers/test-app.js'

/**
 * `Authorization: Bearer <ADMIN_PASSWORD>`, the old program's admin header, next to Basic: the
 * same password check, throttle, cross-site rule and 401 envelope.
 */
describe('admin auth with a Bearer password', () => {
  const bearer = (password: string) => `Bearer ${password}`

  it.each([['/api/manage/config'], ['/metrics']])(
    'lets the admin into %s with the right password',
    async (url) => {
      const { app } = await buildTestApp()
      const response = await app.inject({
        method: 'GET',
        url,
        headers: { authorization: bearer(TEST_ADMIN_PASSWORD) },
      })
      expect(response.statusCode).toBe(200)
    },
  )

  it('accepts the scheme in any case and extra spaces before the password', async () => {
    const { app } = await buildTestApp()
    for (const authorization of [
      `bearer ${TEST_ADMIN_PASSWORD}`,
      `BEARER   ${TEST_ADMIN_PASSWORD}`,
    ]) {
      const response = await app.inject({
        method: 'GET',
        url: '/api/manage/config',
        headers: { authorization },
      })
      expect(response.statusCode, authorization).toBe(200)
    }
  })

  it('accepts a password with spaces and a UTF-8 password as curl sends it', async () => {
    const password = '管理员 password!'
    const { app } = await buildTestApp({ ADMIN_PASSWORD: password })
    // Node reads header bytes as Latin-1; curl sends the password's UTF-8 bytes.
    const latin1 = Buffer.from(password, 'utf8').toString('latin1')
    const response = await app.inject({
      method: 'GET',
      url: '/api/manage/config',
      headers: { authorization: `Bearer ${latin1}` },
    })
    expect(response.statusCode).toBe(200)
  })

  it.each([
    ['a wrong password', bearer('wrong-password')],
    ['a client key', bearer(TEST_CLIENT_KEY)],
    ['the admin user and password', bearer(`admin:${TEST_ADMIN_PASSWORD}`)],
    ['no password', 'Bearer'],
    ['the password with a suffix', bearer(`${TEST_ADMIN_PASSWORD}x`)],
  ])('answers 401 to %s, in the error envelope, with a Basic challenge', async (_, auth) => {
    const { app } = await buildTestApp()
    for (const url of ['/api/manage/config', '/metrics']) {
      const response = await app.inject({ method: 'GET', url, headers: { authorization: auth } })
      expect(response.statusCode, url).toBe(401)
      expect(response.headers['www-authenticate']).toBe(
        'Basic realm="SiliconFlow Proxy", charset="UTF-8"',
      )
      expect(response.json()).toMatchObject({
        error: { code: 'unauthorized', type: 'authentication_error', message: expect.any(String) },
      })
      expect(response.body).not.toContain(TEST_CLIENT_KEY)
    }
  })

  it('answers 429 with Retry-After after 10 failed Bearer logins, even to the right one', async () => {
    const { app } = await buildTestApp()
    const attempt = (password: string, remoteAddress = '203.0.113.7') =>
      app.inject({
        method: 'GET',
        url: '/metrics',
        remoteAddress,
        headers: { authorization: bearer(password) },
      })
    for (let i = 0; i < 10; i++) expect((await attempt(`wrong-${i}`)).statusCode).toBe(401)

    const blocked = await attempt(TEST_ADMIN_PASSWORD)
    expect(blocked.statusCode).toBe(429)
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(590)
    expect(blocked.json()).toMatchObject({ error: { code: 'too_many_failed_logins' } })
    expect((await attempt(TEST_ADMIN_PASSWORD, '203.0.113.8')).statusCode).toBe(200)
  })

  it('counts Basic and Bearer failures from one address together', async () => {
    const { app } = await buildTestApp()
    const attempt = (authorization: string) =>
      app.inject({
        method: 'GET',
        url: '/api/manage/config',
        remoteAddress: '203.0.113.7',
        headers: { authorization },
      })
    for (let i = 0; i < 5; i++) {
      expect((await attempt(basicAuth(`wrong-basic-${i}`))).statusCode).toBe(401)
      expect((await attempt(bearer(`wrong-bearer-${i}`))).statusCode).toBe(401)
    }
    expect((await attempt(basicAuth())).statusCode).toBe(429)
    expect((await attempt(bearer(TEST_ADMIN_PASSWORD))).statusCode).toBe(429)
  })

  it('a successful Bearer login clears the failures of its address', async () => {
    const { app } = await buildTestApp()
    const attempt = (authorization: string) =>
      app.inject({
        method: 'GET',
        url: '/api/manage/config',
        remoteAddress: '203.0.113.7',
        headers: { authorization },
      })
    for (let i = 0; i < 9; i++) expect((await attempt(basicAuth(`w-${i}`))).statusCode).toBe(401)
    expect((await attempt(bearer(TEST_ADMIN_PASSWORD))).statusCode).toBe(200)
    for (let i = 0; i < 9; i++) expect((await attempt(bearer(`w-${i}`))).statusCode).toBe(401)
    expect((await attempt(basicAuth())).statusCode).toBe(200)
  })

  it('refuses a cross-site write with a Bearer password (403) and accepts it from curl', async () => {
    const { app } = await buildTestApp()
    const post = (headers: Record<string, string>) =>
      app.inject({
        method: 'POST',
        url: '/api/manage/client-keys',
        headers: { authorization: bearer(TEST_ADMIN_PASSWORD), ...headers },
        payload: { name: 'from a script' },
      })
    const crossSite = await post({ origin: 'https://evil.example' })
    expect(crossSite.statusCode).toBe(403)
    expect(crossSite.json()).toMatchObject({ error: { code: 'cross_site_request' } })
    expect(app.clientKeys.list().keys).toEqual([])
    expect((await post({})).statusCode).toBe(201)
  })

  it('checks the hash stored at first boot when ADMIN_PASSWORD is not set', async () => {
    const { app, announced } = await buildTestApp({ ADMIN_PASSWORD: '' })
    const password =
      announced
        .find((l) => l.includes('Admin password'))
        ?.split(': ')
        .at(-1) ?? ''
    const get = (authorization: string) =>
      app.inject({ method: 'GET', url: '/api/manage/config', headers: { authorization } })
    expect((await get(bearer(password))).statusCode).toBe(200)
    expect((await get(bearer(`${password}x`))).statusCode).toBe(401)
  })
})
