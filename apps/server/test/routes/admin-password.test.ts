import { SETTING } from '@sfp/db'
import { describe, expect, it } from 'vitest'
import {
  basicAuth,
  buildTestApp,
  sqliteOf,
  TEST_ADMIN_PASSWORD,
  tempDataDir,
} from '../helpers/test-app.js'

const URL = '/api/manage/admin-password'
const NEW_PASSWORD = 'a-brand-new-password'

/** A server whose admin password was generated at first boot (no ADMIN_PASSWORD), and that password. */
async function generatedPasswordApp(dataDir = tempDataDir()) {
  const built = await buildTestApp({ ADMIN_PASSWORD: '' }, { dataDir })
  const line = built.announced.find((l) => l.includes('Admin password')) ?? ''
  return { ...built, password: line.split(': ').at(-1) ?? '' }
}

describe('PUT /api/manage/admin-password', () => {
  it('changes the password: the old one gets 401 at once, the new one 200, Basic and Bearer', async () => {
    const { app, password } = await generatedPasswordApp()
    const get = (authorization: string) =>
      app.inject({ method: 'GET', url: '/api/manage/config', headers: { authorization } })
    // Another browser signed in with the old password (its digest is now cached as verified).
    expect((await get(basicAuth(password))).statusCode).toBe(200)

    const change = await app.inject({
      method: 'PUT',
      url: URL,
      headers: { authorization: basicAuth(password) },
      payload: { currentPassword: password, newPassword: NEW_PASSWORD },
    })
    expect(change.statusCode).toBe(204)
    expect(change.headers['cache-control']).toBe('no-store')

    expect((await get(basicAuth(password))).statusCode).toBe(401)
    expect((await get(`Bearer ${password}`)).statusCode).toBe(401)
    expect((await get(basicAuth(NEW_PASSWORD))).statusCode).toBe(200)
    expect((await get(`Bearer ${NEW_PASSWORD}`)).statusCode).toBe(200)
  })

  it('stores only the scrypt hash, which survives a restart', async () => {
    const dataDir = tempDataDir()
    const { app, password } = await generatedPasswordApp(dataDir)
    const response = await app.inject({
      method: 'PUT',
      url: URL,
      headers: { authorization: basicAuth(password) },
      payload: { currentPassword: password, newPassword: NEW_PASSWORD },
    })
    expect(response.statusCode).toBe(204)
    const stored = await app.database.settings.get(SETTING.adminPasswordHash)
    expect(stored).toMatch(/^scrypt\$/)
    const sqlite = sqliteOf(app)
    const settings = sqlite.prepare("SELECT group_concat(value, '|') AS v FROM settings").get() as {
      v: string
    }
    expect(settings.v).not.toContain(NEW_PASSWORD)
    expect(response.body).toBe('')
    await app.close()

    const again = await buildTestApp({ ADMIN_PASSWORD: '' }, { dataDir })
    expect(again.announced).toEqual([])
    const login = await again.app.inject({
      method: 'GET',
      url: '/api/manage/config',
      headers: { authorization: basicAuth(NEW_PASSWORD) },
    })
    expect(login.statusCode).toBe(200)
  })

  it('follows a hash changed outside this process (another instance on the same file)', async () => {
    const { app, password } = await generatedPasswordApp()
    const get = (authorization: string) =>
      app.inject({ method: 'GET', url: '/api/manage/config', headers: { authorization } })
    expect((await get(basicAuth(password))).statusCode).toBe(200)
    const { hashPassword } = await import('../../src/password.js')
    await app.database.settings.set(SETTING.adminPasswordHash, await hashPassword(NEW_PASSWORD))
    expect((await get(basicAuth(password))).statusCode).toBe(401)
    expect((await get(basicAuth(NEW_PASSWORD))).statusCode).toBe(200)
  })

  it('answers 403 wrong_current_password to a wrong current password and changes nothing', async () => {
    const { app, password } = await generatedPasswordApp()
    const before = await app.database.settings.get(SETTING.adminPasswordHash)
    const response = await app.inject({
      method: 'PUT',
      url: URL,
      headers: { authorization: basicAuth(password) },
      payload: { currentPassword: 'not-the-password', newPassword: NEW_PASSWORD },
    })
    expect(response.statusCode).toBe(403)
    expect(response.json()).toMatchObject({
      error: { code: 'wrong_current_password', type: 'permission_error' },
    })
    expect(response.body).not.toContain('not-the-password')
    expect(await app.database.settings.get(SETTING.adminPasswordHash)).toBe(before)
  })

  it('counts a wrong current password as a failed login, together with wrong logins', async () => {
    const { app, password } = await generatedPasswordApp()
    const change = (currentPassword: string) =>
      app.inject({
        method: 'PUT',
        url: URL,
        remoteAddress: '203.0.113.7',
        headers: { authorization: basicAuth(password) },
        payload: { currentPassword, newPassword: NEW_PASSWORD },
      })
    const login = (attempt: string) =>
      app.inject({
        method: 'GET',
        url: '/api/manage/config',
        remoteAddress: '203.0.113.7',
        headers: { authorization: `Bearer ${attempt}` },
      })
    for (let i = 0; i < 5; i++) {
      expect((await change(`wrong-current-${i}`)).statusCode).toBe(403)
      expect((await login(`wrong-login-${i}`)).statusCode).toBe(401)
    }
    const blocked = await change(password)
    expect(blocked.statusCode).toBe(429)
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(590)
    expect((await login(password)).statusCode).toBe(429)
  })

  it.each([
    ['a new password under 8 characters', { newPassword: 'short' }, 'newPassword'],
    ['the current password as the new one', { newPassword: 'CURRENT' }, 'newPassword'],
    ['no current password', { currentPassword: '' }, 'currentPassword'],
    ['an unknown field', { extra: 1 }, '(body)'],
  ])('answers 400 to %s', async (_, override, field) => {
    const { app, password } = await generatedPasswordApp()
    const before = await app.database.settings.get(SETTING.adminPasswordHash)
    const payload: Record<string, unknown> = {
      currentPassword: password,
      newPassword: NEW_PASSWORD,
      ...override,
    }
    if (payload.newPassword === 'CURRENT') payload.newPassword = password
    const response = await app.inject({
      method: 'PUT',
      url: URL,
      headers: { authorization: basicAuth(password) },
      payload,
    })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toMatchObject({
      error: {
        code: 'validation_error',
        fields: [
          expect.objectContaining({
            field: expect.stringContaining(field === '(body)' ? 'body' : field),
          }),
        ],
      },
    })
    expect(await app.database.settings.get(SETTING.adminPasswordHash)).toBe(before)
  })

  it('answers 409 admin_password_from_env when ADMIN_PASSWORD is set', async () => {
    const { app } = await buildTestApp()
    const response = await app.inject({
      method: 'PUT',
      url: URL,
      headers: { authorization: basicAuth() },
      payload: { currentPassword: TEST_ADMIN_PASSWORD, newPassword: NEW_PASSWORD },
    })
    expect(response.statusCode).toBe(409)
    expect(response.json()).toMatchObject({ error: { code: 'admin_password_from_env' } })
    expect(await app.database.settings.get(SETTING.adminPasswordHash)).toBeUndefined()
    const login = await app.inject({
      method: 'GET',
      url: '/api/manage/config',
      headers: { authorization: basicAuth(NEW_PASSWORD) },
    })
    expect(login.statusCode).toBe(401)
  })

  it('requires the admin login and refuses cross-site calls', async () => {
    const { app, password } = await generatedPasswordApp()
    const payload = { currentPassword: password, newPassword: NEW_PASSWORD }
    const anonymous = await app.inject({ method: 'PUT', url: URL, payload })
    expect(anonymous.statusCode).toBe(401)
    const crossSite = await app.inject({
      method: 'PUT',
      url: URL,
      headers: { authorization: basicAuth(password), 'sec-fetch-site': 'cross-site' },
      payload,
    })
    expect(crossSite.statusCode).toBe(403)
    expect(crossSite.json()).toMatchObject({ error: { code: 'cross_site_request' } })
    expect(
      (
        await app.inject({
          method: 'GET',
          url: '/api/manage/config',
          headers: { authorization: basicAuth(password) },
        })
      ).statusCode,
    ).toBe(200)
  })
})

describe('GET /api/manage/admin-password', () => {
  it.each([
    ['set', {}, true],
    ['not set', { ADMIN_PASSWORD: '' }, false],
  ])(
    'says whether the password is managed by the environment (ADMIN_PASSWORD %s)',
    async (_, env, managedByEnv) => {
      const { app, announced } = await buildTestApp(env)
      const password =
        announced
          .find((l) => l.includes('Admin password'))
          ?.split(': ')
          .at(-1) ?? TEST_ADMIN_PASSWORD
      const response = await app.inject({
        method: 'GET',
        url: URL,
        headers: { authorization: basicAuth(password) },
      })
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual({ managedByEnv })
    },
  )
})
