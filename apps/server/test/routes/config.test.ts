import { configViewSchema } from '@sfp/schemas'
import { describe, expect, it } from 'vitest'
import {
  basicAuth,
  buildTestApp,
  TEST_ADMIN_PASSWORD,
  TEST_CLIENT_KEY,
} from '../helpers/test-app.js'

describe('GET /api/manage/config', () => {
  it('answers every setting with its group and zh/en description, secrets only as set', async () => {
    const { app } = await buildTestApp({ ENCRYPTION_KEY: 'encryption-secret-0123456789' })
    const response = await app.inject({
      method: 'GET',
      url: '/api/manage/config',
      headers: { authorization: basicAuth() },
    })
    expect(response.statusCode).toBe(200)
    const view = configViewSchema.parse(response.json())
    expect(view.settings.find((setting) => setting.name === 'DISPATCH_CONCURRENCY')).toEqual({
      name: 'DISPATCH_CONCURRENCY',
      value: 1,
      secret: false,
      placeholder: null,
      group: 'dispatch',
      description: {
        zh: '每个出口通道同时进行的上游请求数',
        en: 'upstream requests in flight at once per egress lane',
      },
    })
    expect(view.settings.find((setting) => setting.name === 'ENCRYPTION_KEY')).toMatchObject({
      value: '(set)',
      secret: true,
      placeholder: { kind: 'set' },
      group: 'security',
    })
    for (const secret of [TEST_ADMIN_PASSWORD, TEST_CLIENT_KEY, 'encryption-secret']) {
      expect(response.body).not.toContain(secret)
    }
  })
})
