import {
  type EgressView,
  explanationSchema,
  type KeyEventView,
  type KeyView,
  listEgressesResponseSchema,
  listKeyEventsResponseSchema,
  listKeysResponseSchema,
} from '@sfp/schemas'
import { ERRORS } from '@sfp/test-support/upstream'
import { describe, expect, it } from 'vitest'
import { chatBody, KEY_A, postJson, startProxyApp } from '../helpers/proxy-app.js'
import { basicAuth } from '../helpers/test-app.js'

/**
 * The admin API answers every explanation twice: English words for scripts (`reason`,
 * `lastError`, `stateReason`) and a code with params the dashboard translates (`explanation`,
 * `lastErrorDetail`, `stateExplanation`), through the whole server after real upstream answers.
 */

const CHAT = '/v1/chat/completions'
const onA = { path: CHAT, key: KEY_A }
const env = { KEY_SWITCH_POLICY: 'immediate', KEY_ERROR_THRESHOLD: '3' }

type App = Awaited<ReturnType<typeof startProxyApp>>['app']

async function adminGet(app: App, url: string): Promise<unknown> {
  const response = await app.inject({
    method: 'GET',
    url: `/api/manage${url}`,
    headers: { authorization: basicAuth() },
  })
  expect(response.statusCode).toBe(200)
  return response.json()
}

const keys = async (app: App): Promise<KeyView[]> =>
  listKeysResponseSchema.parse(await adminGet(app, '/api-keys')).keys
const events = async (app: App): Promise<KeyEventView[]> =>
  listKeyEventsResponseSchema.parse(await adminGet(app, '/key-events?limit=500')).events
const egresses = async (app: App): Promise<EgressView[]> =>
  listEgressesResponseSchema.parse(await adminGet(app, '/egresses')).egresses

describe('explanations in the admin API', () => {
  it('failures up to the threshold: lastErrorDetail, key_failures and the switch, as codes', async () => {
    const { app, url, upstream } = await startProxyApp(env)
    upstream.script({
      match: onA,
      fault: { kind: 'status', status: 500, body: ERRORS.unknown() },
      times: Infinity,
    })
    expect((await postJson(url, CHAT, chatBody())).status).toBe(200)

    const [a] = await keys(app)
    expect(a).toMatchObject({
      status: 'error',
      lastErrorDetail: { code: 'upstream_error', params: { status: 500 } },
    })
    expect(a?.lastError).toMatch(/^HTTP 500/)
    const all = await events(app)
    expect(all.find((event) => event.type === 'state' && event.keyId === 1)).toMatchObject({
      toStatus: 'error',
      reason: expect.stringMatching(/^3 failures in a row \(last: HTTP 500/),
      explanation: {
        code: 'key_failures',
        params: { count: 3, last: 'upstream_error', status: 500, check: { kind: 'balance' } },
      },
    })
    expect(all.find((event) => event.type === 'switch' && event.keyId === 2)).toMatchObject({
      explanation: {
        code: 'key_switch',
        params: { fromKeyId: 1, toKeyId: 2, current: { keyId: 1, status: 'error' } },
      },
    })
    // Every event has one, and it is valid against the shared schema.
    for (const event of all) expect(explanationSchema.parse(event.explanation)).toBeTruthy()
  })

  it('a 429: rate_limited, the key cooling', async () => {
    const { app, url, upstream } = await startProxyApp(env)
    upstream.script({
      match: onA,
      fault: { kind: 'status', status: 429, body: ERRORS.rateLimited() },
    })
    await postJson(url, CHAT, chatBody())
    const [a] = await keys(app)
    expect(a).toMatchObject({
      status: 'cooling',
      lastErrorDetail: { code: 'rate_limited', params: { seconds: 30, strike: 1 } },
    })
  })

  it('a block code: the egress blocked, with egress_blocked and the HTTP status', async () => {
    const { app, url, upstream } = await startProxyApp(env)
    const block = { code: 50603, message: 'System is really busy.', data: null }
    upstream.script({ match: onA, fault: { kind: 'status', status: 503, body: block } })
    expect((await postJson(url, CHAT, chatBody())).status).toBe(503)
    expect((await egresses(app))[0]).toMatchObject({
      state: 'blocked',
      stateReason: 'upstream answered HTTP 503 with a block code',
      stateExplanation: { code: 'egress_blocked', params: { status: 503 } },
    })
  })

  it('an egress disabled by the admin: egress_disabled_by_admin', async () => {
    const { app } = await startProxyApp(env)
    const [direct] = await egresses(app)
    await app.inject({
      method: 'PATCH',
      url: `/api/manage/egresses/${direct?.id}`,
      headers: { authorization: basicAuth(), 'content-type': 'application/json' },
      payload: { enabled: false },
    })
    expect((await egresses(app))[0]).toMatchObject({
      state: 'disabled',
      stateExplanation: { code: 'egress_disabled_by_admin', params: {} },
    })
  })
})
