import { apiErrorBodySchema, explanationSchema } from '@sfp/schemas'
import { describe, expect, it } from 'vitest'
import { chatBody, KEY_B, postJson, startProxyApp } from '../helpers/proxy-app.js'
import { basicAuth } from '../helpers/test-app.js'

const CHAT = '/v1/chat/completions'

/**
 * A refusal's answer says why as a code with typed params beside the English message
 * (docs/behaviour.md §3), so the dashboard words it in the reader's language and zone.
 */
describe('refusals carry their explanation in the error answer', () => {
  it('the proxy: a guard refusal is `key_switch_guard` with `guard_holds`, the window end as ISO', async () => {
    // Key A is unknown upstream: confirmed invalid, and moving to B is held back by the guard.
    const { url } = await startProxyApp({}, { accounts: { [KEY_B]: { totalBalance: '9' } } })
    const response = await postJson(url, CHAT, chatBody())
    expect(response.status).toBe(503)
    const body = apiErrorBodySchema.parse(await response.json())
    expect(body.error).toMatchObject({ code: 'key_switch_guard', type: 'server_error' })
    expect(body.error.message).toMatch(/^The key-switch guard of egress #1 holds back/)
    const explained = explanationSchema.parse(body.error.explanation)
    expect(explained).toEqual({
      code: 'guard_holds',
      params: {
        egressId: 1,
        minutes: 30,
        windowEndsAt: expect.any(String),
        subject: {
          kind: 'move',
          fromKeyId: 1,
          toKeyId: 2,
          current: { keyId: 1, status: 'invalid' },
        },
        hint: 'switch_sooner',
      },
    })
    // The moment the English message names, unformatted: the reader's zone formats it.
    const { windowEndsAt } = explained.params as { windowEndsAt: string }
    expect(new Date(windowEndsAt).toISOString()).toBe(windowEndsAt)
    expect(body.error.message).toContain(`The window ends at ${windowEndsAt}`)
  })

  it('the admin API: a balance check held back by the guard says so as `guard_holds`', async () => {
    const { url } = await startProxyApp()
    // Key A serves a request: the direct lane's key, used just now.
    expect((await postJson(url, CHAT, chatBody())).status).toBe(200)
    const response = await fetch(`${url}/api/manage/api-keys/2/check`, {
      method: 'POST',
      headers: { authorization: basicAuth() },
    })
    expect(response.status).toBe(503)
    const body = apiErrorBodySchema.parse(await response.json())
    expect(body.error.code).toBe('key_switch_guard')
    expect(body.error.explanation).toMatchObject({
      code: 'guard_holds',
      params: {
        egressId: 1,
        subject: { kind: 'check', keyId: 2, lastKeyId: 1 },
        hint: 'override_first',
      },
    })
  })

  it('an error that explains nothing keeps OpenAI’s shape', async () => {
    const { url } = await startProxyApp()
    const response = await fetch(`${url}${CHAT}`, { method: 'POST' })
    expect(response.status).toBe(401)
    expect(Object.keys(((await response.json()) as { error: object }).error).sort()).toEqual([
      'code',
      'message',
      'type',
    ])
  })
})
