import type { AddKeysResponse, KeyView, ListKeysResponse } from '@sfp/schemas'
import { type MockUpstream, startMockUpstream } from '@sfp/test-support/upstream'
import { afterEach, describe, expect, it } from 'vitest'
import { basicAuth, buildTestApp } from '../helpers/test-app.js'

const admin = { authorization: basicAuth() }
const key = (n: number) => `sk-${String(n).padStart(6, '0')}${'q'.repeat(42)}`
const mask = (k: string) => `${k.slice(0, 6)}…${k.slice(-4)}`
const [K1, K2, K3] = [key(1), key(2), key(3)]

const upstreams: MockUpstream[] = []
afterEach(async () => {
  for (const upstream of upstreams.splice(0)) await upstream.close()
})

async function appWithKeys(keys: string[] = [], env: Record<string, string> = {}) {
  const test = await buildTestApp(env)
  const inject = (
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    payload?: unknown,
  ) =>
    test.app.inject({
      method,
      url: `/api/manage${url}`,
      headers: admin,
      ...(payload === undefined ? {} : { payload: payload as object }),
    })
  if (keys.length > 0) {
    const response = await inject('POST', '/api-keys', { api_keys: keys.join('\n') })
    expect(response.statusCode).toBe(201)
  }
  return { ...test, inject }
}

/**
 * Checking several keys one after another is a key switch; under the default `wait` the switch
 * guard refuses it (its own tests cover that). These tests are about the check itself.
 */
const CHECKS_MAY_SWITCH = { KEY_SWITCH_POLICY: 'immediate' }

async function upstreamFor(accounts: Record<string, { totalBalance: string }>) {
  const upstream = await startMockUpstream({ accounts })
  upstreams.push(upstream)
  return upstream
}

describe('GET /api/manage/api-keys', () => {
  it('lists masked keys with the total, filtered and paged', async () => {
    const { inject, app } = await appWithKeys([K1, K2, K3])
    app.keyPool.update(2, { enabled: false })
    const all = (await inject('GET', '/api-keys')).json() as ListKeysResponse
    expect(all.total).toBe(3)
    expect(all.keys.map((k) => [k.id, k.maskedKey, k.status])).toEqual([
      [1, mask(K1), 'active'],
      [2, mask(K2), 'disabled'],
      [3, mask(K3), 'active'],
    ])
    const page = (await inject('GET', '/api-keys?status=active&limit=1&offset=1')).json()
    expect(page).toMatchObject({ total: 2, keys: [{ id: 3 }] })
  })

  it('rejects a bad filter with 400 naming the field', async () => {
    const { inject } = await appWithKeys()
    const response = await inject('GET', '/api-keys?status=asleep&limit=0')
    expect(response.statusCode).toBe(400)
    expect(response.json()).toMatchInlineSnapshot(`
      {
        "error": {
          "code": "validation_error",
          "fields": [
            {
              "field": "query.status",
              "reason": "Invalid option: expected one of "active"|"cooling"|"insufficient"|"invalid"|"error"|"disabled"",
              "rule": {
                "kind": "invalid_value",
              },
            },
            {
              "field": "query.limit",
              "reason": "must be a decimal integer from 1 to 100000",
              "rule": {
                "kind": "decimal_integer",
                "maximum": 100000,
                "minimum": 1,
              },
            },
          ],
          "message": "query.status: Invalid option: expected one of "active"|"cooling"|"insufficient"|"invalid"|"error"|"disabled"; query.limit: must be a decimal integer from 1 to 100000",
          "type": "invalid_request_error",
        },
      }
    `)
  })
})

describe('POST /api/manage/api-keys', () => {
  it('adds keys: 201 with the added keys masked, duplicates and invalid entries', async () => {
    const { inject } = await appWithKeys([K1])
    const response = await inject('POST', '/api-keys', {
      api_keys: `${K1}\n${K2}, ${K2}; short\n<script>alert(1)</script>`,
      label: ' batch 2 ',
    })
    expect(response.statusCode).toBe(201)
    const body = response.json() as AddKeysResponse
    expect(body.added.map((k) => [k.maskedKey, k.label])).toEqual([
      [mask(K2), 'batch 2'],
      ['<scrip…ipt>', 'batch 2'],
    ])
    expect(body.duplicates).toBe(2)
    expect(body.invalid).toEqual([
      { input: '…', code: 'too_short', reason: 'too short (at least 8 characters)' },
    ])
    expect(response.body).not.toContain(K2)
  })

  it('takes api_key as exactly one key, trimmed', async () => {
    const { inject, app } = await appWithKeys()
    const response = await inject('POST', '/api-keys', { api_key: `  ${K1}\n` })
    expect(response.statusCode).toBe(201)
    expect(response.json()).toMatchObject({ added: [{ id: 1, maskedKey: mask(K1) }] })
    expect(app.keyPool.exportText()).toBe(`${K1}\n`)
  })

  it.each([
    ['two words', 'a b', '…'],
    ['two keys', `${K1} ${K2}`, `${K1.slice(0, 6)}…${K2.slice(-4)}`],
    ['two keys with a comma', `${K1},${K2}`, `${K1.slice(0, 6)}…${K2.slice(-4)}`],
  ])('reports api_key with %s as one invalid entry and adds nothing', async (_, value, input) => {
    const { inject, app } = await appWithKeys()
    const response = await inject('POST', '/api-keys', { api_key: value })
    expect(response.statusCode).toBe(201)
    expect(response.json()).toEqual({
      added: [],
      duplicates: 0,
      invalid: [
        {
          input,
          code: 'invalid_characters',
          reason: 'one key only: no spaces, commas or semicolons (send a list as api_keys)',
        },
      ],
    })
    expect(app.keyPool.status().total).toBe(0)
  })

  it('takes 10,000 keys in one request', async () => {
    const { inject, app } = await appWithKeys()
    const keys = Array.from({ length: 10_000 }, (_, i) => key(i))
    const response = await inject('POST', '/api-keys', { api_keys: keys.join('\n') })
    expect(response.statusCode).toBe(201)
    const body = response.json() as AddKeysResponse
    expect(body.added).toHaveLength(10_000)
    expect(body.duplicates).toBe(0)
    expect(app.keyPool.status().total).toBe(10_000)
    const list = await inject('GET', '/api-keys')
    expect((list.json() as ListKeysResponse).keys).toHaveLength(10_000)
  })

  it.each([
    [{}, 'body'],
    [{ api_key: 42 }, 'body.api_key'],
    [{ api_key: K1, api_keys: K2 }, 'body'],
    [{ api_keys: K1, extra: true }, 'body'],
    [{ api_key: K1, label: 'x'.repeat(101) }, 'body.label'],
  ])('rejects %j with 400 and adds nothing', async (payload, field) => {
    const { inject, app } = await appWithKeys()
    const response = await inject('POST', '/api-keys', payload)
    expect(response.statusCode).toBe(400)
    expect(response.json().error.fields[0].field).toBe(field)
    expect(app.keyPool.status().total).toBe(0)
  })

  it('answers 400 in the envelope for a body that is not a key list', async () => {
    const { inject } = await appWithKeys()
    expect((await inject('POST', '/api-keys', { keys: [K1] })).json()).toMatchInlineSnapshot(`
      {
        "error": {
          "code": "validation_error",
          "fields": [
            {
              "field": "body",
              "reason": "Unrecognized key: "keys"",
              "rule": {
                "count": 1,
                "kind": "unrecognized_keys",
              },
            },
            {
              "field": "body",
              "reason": "send {"api_key": "..."} or {"api_keys": "k1\\nk2"}",
              "rule": {
                "fields": [
                  "api_key",
                  "api_keys",
                ],
                "kind": "one_of",
              },
            },
          ],
          "message": "body: Unrecognized key: "keys"; body: send {"api_key": "..."} or {"api_keys": "k1\\nk2"}",
          "type": "invalid_request_error",
        },
      }
    `)
  })

  it('refuses a cross-site request (403) and adds nothing', async () => {
    const { app } = await appWithKeys()
    const response = await app.inject({
      method: 'POST',
      url: '/api/manage/api-keys',
      headers: { ...admin, origin: 'https://evil.example' },
      payload: { api_key: K1 },
    })
    expect(response.statusCode).toBe(403)
    expect(app.keyPool.status().total).toBe(0)
  })
})

describe('DELETE /api/manage/api-keys/:id', () => {
  it('deletes: 204, then 404', async () => {
    const { inject, app } = await appWithKeys([K1])
    const first = await inject('DELETE', '/api-keys/1')
    expect(first.statusCode).toBe(204)
    expect(first.body).toBe('')
    expect(app.keyPool.status().total).toBe(0)
    const again = await inject('DELETE', '/api-keys/1')
    expect(again.statusCode).toBe(404)
    expect(again.json()).toMatchInlineSnapshot(`
      {
        "error": {
          "code": "not_found",
          "message": "No upstream key with id 1",
          "type": "invalid_request_error",
        },
      }
    `)
  })

  it('rejects an id that is not a key id with 400', async () => {
    const { inject } = await appWithKeys()
    expect((await inject('DELETE', '/api-keys/abc')).json()).toMatchInlineSnapshot(`
      {
        "error": {
          "code": "validation_error",
          "fields": [
            {
              "field": "params.id",
              "reason": "must be a key id",
              "rule": {
                "kind": "id",
              },
            },
          ],
          "message": "params.id: must be a key id",
          "type": "invalid_request_error",
        },
      }
    `)
  })
})

describe('PATCH /api/manage/api-keys/:id', () => {
  it('disables, relabels and enables a key', async () => {
    const { inject } = await appWithKeys([K1])
    const disabled = await inject('PATCH', '/api-keys/1', { enabled: false, label: 'spare' })
    expect(disabled.statusCode).toBe(200)
    expect(disabled.json()).toMatchObject({ id: 1, status: 'disabled', label: 'spare' })
    const enabled = await inject('PATCH', '/api-keys/1', { enabled: true, label: null })
    expect(enabled.json()).toMatchObject({ status: 'active', label: null })
  })

  it("keeps a disable's reason in the key event; a reason without enabled:false is refused", async () => {
    const { inject } = await appWithKeys([K1])
    const refused = await inject('PATCH', '/api-keys/1', { enabled: true, reason: 'why' })
    expect(refused.statusCode).toBe(400)
    expect(refused.json().error.fields).toMatchObject([{ field: 'body.reason' }])
    const disabled = await inject('PATCH', '/api-keys/1', {
      enabled: false,
      reason: ' lent to the batch job ',
    })
    expect(disabled.json()).toMatchObject({ status: 'disabled' })
    const events = await inject('GET', '/key-events?keyId=1&limit=1')
    expect(events.json().events[0]).toMatchObject({
      toStatus: 'disabled',
      reason: 'disabled by admin: lent to the batch job',
      explanation: { code: 'disabled_by_admin', params: { reason: 'lent to the batch job' } },
    })
  })

  it('rejects an empty patch with 400 and changes nothing', async () => {
    const { inject, app } = await appWithKeys([K1])
    expect((await inject('PATCH', '/api-keys/1', {})).json()).toMatchInlineSnapshot(`
      {
        "error": {
          "code": "validation_error",
          "fields": [
            {
              "field": "body",
              "reason": "give enabled, label or balance",
              "rule": {
                "fields": [
                  "enabled",
                  "label",
                  "balance",
                ],
                "kind": "one_of",
              },
            },
          ],
          "message": "body: give enabled, label or balance",
          "type": "invalid_request_error",
        },
      }
    `)
    const wrongType = await inject('PATCH', '/api-keys/1', { enabled: 'no' })
    expect(wrongType.json().error.fields).toEqual([
      {
        field: 'body.enabled',
        reason: 'Invalid input: expected boolean, received string',
        rule: { kind: 'invalid_type', expected: 'boolean' },
      },
    ])
    expect(app.keyPool.view(1)?.status).toBe('active')
  })

  it('answers 404 for an unknown key', async () => {
    const { inject } = await appWithKeys()
    const response = await inject('PATCH', '/api-keys/7', { enabled: false })
    expect(response.statusCode).toBe(404)
    expect(response.json().error).toMatchObject({ code: 'not_found' })
  })
})

describe('PUT /api/manage/api-keys/:id/activate', () => {
  it('makes the key the key in use', async () => {
    const { inject, app } = await appWithKeys([K1, K2])
    app.keyPool.update(2, { enabled: false })
    const response = await inject('PUT', '/api-keys/2/activate')
    expect(response.statusCode).toBe(200)
    expect(response.json()).toMatchObject({ id: 2, status: 'active', isCurrent: true })
    expect(app.keyPool.status().currentKeyId).toBe(2)
  })

  it('answers 404 for an unknown key and 400 for a bad id', async () => {
    const { inject } = await appWithKeys()
    expect((await inject('PUT', '/api-keys/3/activate')).statusCode).toBe(404)
    expect((await inject('PUT', '/api-keys/-1/activate')).statusCode).toBe(400)
  })
})

describe('POST /api/manage/api-keys/:id/check', () => {
  it('checks balance and validity now and answers the key', async () => {
    const upstream = await upstreamFor({ [K1]: { totalBalance: '12.34' } })
    const { inject } = await appWithKeys([K1, K2], {
      UPSTREAM_BASE_URL: upstream.url,
      ...CHECKS_MAY_SWITCH,
    })
    const ok = await inject('POST', '/api-keys/1/check')
    expect(ok.statusCode).toBe(200)
    expect(ok.json()).toMatchObject({ id: 1, balance: 12.34, status: 'active' })
    const rejected = await inject('POST', '/api-keys/2/check')
    expect(rejected.json()).toMatchObject({ id: 2, status: 'invalid' })
    expect(upstream.requests.map((r) => r.path)).toEqual(['/v1/user/info', '/v1/user/info'])
  })

  it('answers 404 for an unknown key and 400 for a bad id, without asking upstream', async () => {
    const upstream = await upstreamFor({})
    const { inject } = await appWithKeys([], { UPSTREAM_BASE_URL: upstream.url })
    const unknown = await inject('POST', '/api-keys/9/check')
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json()).toMatchInlineSnapshot(`
      {
        "error": {
          "code": "not_found",
          "message": "No upstream key with id 9",
          "type": "invalid_request_error",
        },
      }
    `)
    const bad = await inject('POST', '/api-keys/1.5/check')
    expect(bad.statusCode).toBe(400)
    expect(bad.json().error.fields).toEqual([
      { field: 'params.id', reason: 'must be a key id', rule: { kind: 'id' } },
    ])
    expect(upstream.requests).toHaveLength(0)
  })
})

describe('GET /api/manage/api-keys/export', () => {
  it('sends every key in plain text, one per line, as an uncached attachment', async () => {
    const { inject } = await appWithKeys([K2, K1])
    const response = await inject('GET', '/api-keys/export')
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(response.headers['content-disposition']).toBe(
      'attachment; filename="siliconflow-keys.txt"',
    )
    expect(response.headers['cache-control']).toBe('no-store')
    expect(response.body).toBe(`${K2}\n${K1}\n`)
  })
})

describe('POST /api/manage/api-keys/bulk', () => {
  it('disables, enables and deletes many keys, listing unknown ids', async () => {
    const { inject, app } = await appWithKeys([K1, K2, K3])
    const disable = await inject('POST', '/api-keys/bulk', { action: 'disable', ids: [1, 2, 9] })
    expect(disable.json()).toEqual({ affected: 2, notFound: [9] })
    expect(app.keyPool.list({ offset: 0, status: 'disabled' }).total).toBe(2)
    const enable = await inject('POST', '/api-keys/bulk', { action: 'enable', ids: [2] })
    expect(enable.json()).toEqual({ affected: 1, notFound: [] })
    const remove = await inject('POST', '/api-keys/bulk', { action: 'delete', ids: [1, 3, 8] })
    expect(remove.json()).toEqual({ affected: 2, notFound: [8] })
    expect(app.keyPool.list({ offset: 0 }).keys.map((k: KeyView) => k.id)).toEqual([2])
  })

  it('checks keys one after another', async () => {
    const upstream = await upstreamFor({
      [K1]: { totalBalance: '3' },
      [K2]: { totalBalance: '0.5' },
    })
    const { inject, app } = await appWithKeys([K1, K2], {
      UPSTREAM_BASE_URL: upstream.url,
      ...CHECKS_MAY_SWITCH,
    })
    const response = await inject('POST', '/api-keys/bulk', { action: 'check', ids: [2, 1, 5] })
    expect(response.json()).toEqual({ affected: 2, notFound: [5] })
    expect(upstream.requests.map((r) => r.key)).toEqual([K2, K1])
    expect(app.keyPool.view(2)).toMatchObject({ status: 'insufficient', balance: 0.5 })
  })

  it.each([
    [{ action: 'explode', ids: [1] }, 'body.action'],
    [{ action: 'delete', ids: [] }, 'body.ids'],
    [{ action: 'delete', ids: [0] }, 'body.ids.0'],
    [{ action: 'delete' }, 'body.ids'],
  ])('rejects %j with 400 and changes nothing', async (payload, field) => {
    const { inject, app } = await appWithKeys([K1])
    const response = await inject('POST', '/api-keys/bulk', payload)
    expect(response.statusCode).toBe(400)
    expect(response.json().error.fields[0].field).toBe(field)
    expect(app.keyPool.status().total).toBe(1)
  })
})
