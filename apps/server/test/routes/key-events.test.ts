import type { ListKeyEventsResponse } from '@sfp/schemas'
import { createManualClock } from '@sfp/test-support'
import { describe, expect, it } from 'vitest'
import { basicAuth, buildTestApp } from '../helpers/test-app.js'

const admin = { authorization: basicAuth() }
const KEY_A = `sk-aaaa${'1'.repeat(40)}`
const KEY_B = `sk-bbbb${'2'.repeat(40)}`

describe('GET /api/manage/key-events', () => {
  it('lists why keys changed, newest first, filtered by key and limited', async () => {
    const clock = createManualClock(Date.parse('2026-03-01T08:00:00Z'))
    const { app } = await buildTestApp({}, { clock })
    await app.keyPool.add({ api_keys: `${KEY_A} ${KEY_B}` })
    clock.advance(1000)
    app.keyPool.update(2, { enabled: false })
    clock.advance(1000)
    app.dispatch.activate(1)

    const all = await app.inject({ method: 'GET', url: '/api/manage/key-events', headers: admin })
    expect(all.statusCode).toBe(200)
    expect((all.json() as ListKeyEventsResponse).events).toEqual([
      {
        id: 4,
        time: '2026-03-01T08:00:02.000Z',
        keyId: 1,
        type: 'override',
        fromStatus: null,
        toStatus: null,
        reason: 'made the key in use on egress #1 by admin',
        explanation: { code: 'activation_override', params: { egressId: 1 } },
      },
      {
        id: 3,
        time: '2026-03-01T08:00:01.000Z',
        keyId: 2,
        type: 'state',
        fromStatus: 'active',
        toStatus: 'disabled',
        reason: 'disabled by admin',
        explanation: { code: 'disabled_by_admin', params: {} },
      },
      expect.objectContaining({ id: 2, keyId: 2, type: 'added' }),
      expect.objectContaining({ id: 1, keyId: 1, type: 'added' }),
    ])

    const forKey = await app.inject({
      method: 'GET',
      url: '/api/manage/key-events?keyId=2&limit=1',
      headers: admin,
    })
    expect(forKey.json()).toMatchObject({ events: [{ id: 3, keyId: 2 }] })
  })

  it('rejects a bad query with 400', async () => {
    const { app } = await buildTestApp()
    const response = await app.inject({
      method: 'GET',
      url: '/api/manage/key-events?keyId=x&limit=501',
      headers: admin,
    })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toMatchInlineSnapshot(`
      {
        "error": {
          "code": "validation_error",
          "fields": [
            {
              "field": "query.keyId",
              "reason": "must be a key id",
              "rule": {
                "kind": "id",
              },
            },
            {
              "field": "query.limit",
              "reason": "must be a decimal integer from 1 to 500",
              "rule": {
                "kind": "decimal_integer",
                "maximum": 500,
                "minimum": 1,
              },
            },
          ],
          "message": "query.keyId: must be a key id; query.limit: must be a decimal integer from 1 to 500",
          "type": "invalid_request_error",
        },
      }
    `)
  })

  it('needs the admin login', async () => {
    const { app } = await buildTestApp()
    const response = await app.inject({ method: 'GET', url: '/api/manage/key-events' })
    expect(response.statusCode).toBe(401)
  })
})
