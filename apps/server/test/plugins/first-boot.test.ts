import { describe, expect, it } from 'vitest'
import { basicAuth, buildTestApp, sqliteOf, tempDataDir } from '../helpers/test-app.js'

const noSecretsGiven = { ADMIN_PASSWORD: '', PROXY_API_KEYS: '' }

function secretFrom(lines: string[], marker: string): string {
  const line = lines.find((l) => l.includes(marker))
  const secret = line?.split(': ').at(-1)
  if (!secret) throw new Error(`no line with ${marker} in ${JSON.stringify(lines)}`)
  return secret
}

describe('first boot', () => {
  it('generates the admin password and a client key, shows each once, stores only hashes', async () => {
    const dataDir = tempDataDir()
    const { app, announced } = await buildTestApp(noSecretsGiven, { dataDir })

    const password = secretFrom(announced, 'Admin password')
    const clientKey = secretFrom(announced, 'Client API key')
    expect(password).toMatch(/^[A-Za-z2-9]{20}$/)
    expect(clientKey).toMatch(/^sk-sfp-[A-Za-z2-9]{40}$/)
    expect(announced.filter((l) => l.startsWith('[SFP FIRST BOOT]'))).toHaveLength(3)

    // Only hashes are in the database file.
    const dump = sqliteOf(app)
      .prepare("SELECT group_concat(value, '|') AS v FROM settings")
      .get() as { v: string }
    const keys = sqliteOf(app)
      .prepare("SELECT group_concat(key_hash || prefix, '|') AS v FROM client_keys")
      .get() as { v: string }
    expect(dump.v).not.toContain(password)
    expect(keys.v).not.toContain(clientKey)

    // Both work.
    const login = await app.inject({
      method: 'GET',
      url: '/api/manage/config',
      headers: { authorization: basicAuth(password) },
    })
    expect(login.statusCode).toBe(200)
    expect(app.clientKeys.verify(clientKey)).toEqual({ clientKeyId: expect.any(Number) })
    await app.close()

    // A second boot prints nothing and the same secrets keep working.
    const second = await buildTestApp(noSecretsGiven, { dataDir })
    expect(second.announced).toEqual([])
    const again = await second.app.inject({
      method: 'GET',
      url: '/api/manage/config',
      headers: { authorization: basicAuth(password) },
    })
    expect(again.statusCode).toBe(200)
    expect(second.app.clientKeys.verify(clientKey)).toBeDefined()
  })

  it('generates nothing when ADMIN_PASSWORD and PROXY_API_KEYS are given', async () => {
    const { announced } = await buildTestApp()
    expect(announced).toEqual([])
  })

  it('generates only the client key when only the password is given', async () => {
    const { announced } = await buildTestApp({ PROXY_API_KEYS: '' })
    expect(announced.some((l) => l.includes('Client API key'))).toBe(true)
    expect(announced.some((l) => l.includes('Admin password'))).toBe(false)
  })
})
