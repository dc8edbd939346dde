import { describe, expect, it } from 'vitest'
import { laneKey, startLaneProxies, startLanesApp } from '../helpers/lanes-app.js'
import { chatBody, postJson } from '../helpers/proxy-app.js'

const CHAT = '/v1/chat/completions'
/** A model the first key is refused (as `Pro/` models are without real-name verification). */
const REFUSED_MODEL = 'deepseek-ai/DeepSeek-R1'
const refusal = { code: 30011, message: 'Insufficient permissions', data: null }
const forModel = (model: string) => chatBody('hello', { model })
/** Both keys' balance is fine: a 403 is about the model, not the money. */
const accounts = { [laneKey(1)]: { totalBalance: '50' }, [laneKey(2)]: { totalBalance: '50' } }

/**
 * docs/behaviour.md §4 "Model access" through the whole server: a 403 for one model while the
 * balance is fine keeps the key for every other model and sends that model elsewhere.
 */
describe('model access through real lanes', () => {
  it("serves a model a key was refused through the other lane's key; other models keep its key", async () => {
    const proxies = await startLaneProxies(2, 0)
    const { upstream, url, app, keys } = await startLanesApp(
      {
        EGRESS_DIRECT: 'false',
        EGRESS_PROXIES: proxies.urls.join(','),
        KEY_SWITCH_GUARD_MINUTES: '30',
      },
      {
        keyCount: 2,
        upstream: { accounts, invariants: { guardWindowMs: 30 * 60_000, concurrency: 1 } },
      },
    )
    const [first, second] = keys.map((key) => key.id) as [number, number]
    // Each lane takes its key.
    for (let n = 0; n < 2; n++) expect((await postJson(url, CHAT, chatBody())).status).toBe(200)
    upstream.script({
      match: { path: CHAT, key: laneKey(1) },
      fault: { kind: 'status', status: 403, body: refusal },
    })
    const sentBefore = upstream.requests.length
    // The first lane is the least recently busy: its key is refused the model, and the same
    // request is served by the other lane's key.
    const refused = await postJson(url, CHAT, forModel(REFUSED_MODEL))
    expect(refused.status).toBe(200)
    expect(app.keyPool.view(first)).toMatchObject({
      status: 'active',
      blockedModels: [REFUSED_MODEL],
    })
    for (let n = 0; n < 3; n++) {
      expect((await postJson(url, CHAT, forModel(REFUSED_MODEL))).status).toBe(200)
      expect((await postJson(url, CHAT, chatBody())).status).toBe(200)
    }
    const sent = upstream.requests.slice(sentBefore).filter((request) => request.path === CHAT)
    const modelOf = (body: Buffer) => (JSON.parse(body.toString()) as { model?: string }).model
    const keysFor = (model: string) =>
      sent.filter((request) => modelOf(request.body) === model).map((request) => request.key)
    // The one refused attempt went out with the first key; every other with the second.
    expect(keysFor(REFUSED_MODEL)).toEqual([laneKey(1), ...Array(4).fill(laneKey(2))])
    // The first key keeps serving the other model (its lane is the least recently busy each time).
    expect(keysFor(chatBody().model)).toEqual(Array(3).fill(laneKey(1)))
    expect(app.keyPool.view(second)?.blockedModels).toEqual([])
    expect(upstream.violations().total).toBe(0)
  })

  it('answers 403 naming the model when no key may use it, and keeps serving other models', async () => {
    const { upstream, url } = await startLanesApp({}, { keyCount: 1, upstream: { accounts } })
    expect((await postJson(url, CHAT, chatBody())).status).toBe(200)
    upstream.script({
      match: { path: CHAT },
      fault: { kind: 'status', status: 403, body: refusal },
    })
    for (let n = 0; n < 2; n++) {
      const answer = await postJson(url, CHAT, forModel(REFUSED_MODEL))
      expect(answer.status).toBe(403)
      expect(((await answer.json()) as { error: unknown }).error).toMatchObject({
        code: 'no_available_key',
        message: expect.stringContaining(`No upstream key may use model ${REFUSED_MODEL}`),
        explanation: { code: 'model_unavailable', params: { model: REFUSED_MODEL } },
      })
    }
    // The second request never reached upstream.
    const chats = upstream.requests.filter((request) => request.path === CHAT)
    expect(chats).toHaveLength(2)
    expect((await postJson(url, CHAT, chatBody())).status).toBe(200)
  })
})
