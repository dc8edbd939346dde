import type { CreateClientKeyResponse, ListClientKeysResponse } from '@sfp/schemas'
import { describe, expect, it } from 'vitest'
import { basicAuth, buildTestApp } from '../helpers/test-app.js'

const admin = { authorization: basicAuth() }

describe('client keys routes', () => {
  it('creates a key shown once, lists it by prefix only, and accepts it on the proxy side', async () => {
    const { app } = await buildTestApp()
    const created = await app.inject({
      method: 'POST',
      url: '/api/manage/client-keys',
      headers: admin,
      payload: { name: '  team A  ' },
    })
    expect(created.statusCode).toBe(201)
    expect(created.headers['cache-control']).toBe('no-store')
    const { key, plaintext } = created.json() as CreateClientKeyResponse
    expect(plaintext).toMatch(/^sk-sfp-/)
    expect(key).toMatchObject({ name: 'team A', requestCount: 0, lastUsedAt: null })
    expect(key.prefix).toBe(`${plaintext.slice(0, 11)}…${plaintext.slice(-4)}`)

    const list = await app.inject({ method: 'GET', url: '/api/manage/client-keys', headers: admin })
    expect(list.body).not.toContain(plaintext)
    expect(list.json()).toEqual({ keys: [key], envKeyCount: 1 } satisfies ListClientKeysResponse)
    expect(app.clientKeys.verify(plaintext)).toEqual({ clientKeyId: key.id })
  })

  it('counts use in batches and shows it in the list', async () => {
    const { app } = await buildTestApp()
    const { key } = await app.clientKeys.create('counted')
    app.clientKeys.recordUse({ clientKeyId: key.id })
    app.clientKeys.recordUse({ clientKeyId: key.id })
    await app.clientKeys.flushUsage()
    const list = app.clientKeys.list()
    expect(list.keys[0]).toMatchObject({ requestCount: 2, lastUsedAt: expect.any(String) })
  })

  it('revokes a key: 204, then it is refused and a second delete is 404', async () => {
    const { app } = await buildTestApp()
    const { key, plaintext } = await app.clientKeys.create('temp')
    const url = `/api/manage/client-keys/${key.id}`
    // Accepted once first: what was accepted before must not outlive the key.
    expect(app.clientKeys.verify(plaintext)).toEqual({ clientKeyId: key.id })
    expect((await app.inject({ method: 'DELETE', url, headers: admin })).statusCode).toBe(204)
    expect(app.clientKeys.verify(plaintext)).toBeUndefined()
    const again = await app.inject({ method: 'DELETE', url, headers: admin })
    expect(again.statusCode).toBe(404)
    expect(again.json()).toMatchInlineSnapshot(`
      {
        "error": {
          "code": "not_found",
          "message": "No client key with id ${key.id}",
          "type": "invalid_request_error",
        },
      }
    `)
  })

  it.each([
    [{}, 'body.name'],
    [{ name: '' }, 'body.name'],
    [{ name: 'x'.repeat(101) }, 'body.name'],
    [{ name: 'ok', extra: 1 }, 'body'],
  ])('rejects %j with 400 and creates nothing', async (payload, field) => {
    const { app } = await buildTestApp()
    const response = await app.inject({
      method: 'POST',
      url: '/api/manage/client-keys',
      headers: admin,
      payload,
    })
    expect(response.statusCode).toBe(400)
    expect(response.json().error.fields[0].field).toBe(field)
    expect(app.clientKeys.list().keys).toEqual([])
  })

  it('rejects a non-numeric id with 400', async () => {
    const { app } = await buildTestApp()
    const response = await app.inject({
      method: 'DELETE',
      url: '/api/manage/client-keys/abc',
      headers: admin,
    })
    expect(response.statusCode).toBe(400)
    expect(response.json().error.fields[0]).toEqual({
      field: 'params.id',
      reason: 'must be a client key id',
      rule: { kind: 'id' },
    })
  })
})
