import createError from '@fastify/error'
import type { LeaseOptions } from '@sfp/dispatch'
import type { AttemptOutcome } from '@sfp/key-pool'
import { request } from 'undici'
import { describe, expect, it } from 'vitest'
import { KEYS, KeySwitchGuard, withRetryAfter } from '../helpers/fakes.js'
import { clientHeaders, type ProxyTestApp, startProxyApp } from '../helpers/proxy-app.js'

/** The model the first key is refused (as a `Pro/` model is without real-name verification). */
const PRO = 'deepseek-ai/DeepSeek-R1'
const REFUSED = { code: 30003, message: 'Model access denied.', data: null }
/** The dispatch's refusal when no key may use the model (`ModelUnavailable`). */
const ModelUnavailable = createError('SFP_NO_AVAILABLE_KEY', '%s', 403)

async function chat(proxy: ProxyTestApp) {
  const response = await request(`${proxy.url}/v1/chat/completions`, {
    method: 'POST',
    headers: clientHeaders({ 'content-type': 'application/json' }),
    body: JSON.stringify({ model: PRO, messages: [{ role: 'user', content: 'hi' }] }),
  })
  return {
    status: response.statusCode,
    json: (await response.body.json()) as Record<string, unknown>,
  }
}

/**
 * The proxy in front of an upstream refusing PRO to key 1, and a fake dispatch whose pool blocks
 * the model for the key it was refused to; `afterBlock` says what the dispatch does next.
 */
async function start(afterBlock: (proxy: ProxyTestApp, keyId: number) => void) {
  const proxy = await startProxyApp()
  proxy.upstream.script({
    match: { key: KEYS[0].secret },
    fault: { kind: 'status', status: 403, body: REFUSED },
  })
  const models: (string | null | undefined)[] = []
  const lease = proxy.dispatch.lease.bind(proxy.dispatch)
  proxy.dispatch.lease = (options: LeaseOptions = {}) => {
    models.push(options.model)
    return lease(options)
  }
  proxy.dispatch.verdict = (keyId: number, outcome: AttemptOutcome) => {
    if (outcome.kind !== 'forbidden' || !outcome.model) return { status: 'active', moveOn: false }
    afterBlock(proxy, keyId)
    return { status: 'active', moveOn: false, blockedModel: outcome.model }
  }
  return { proxy, models }
}

describe('a 403 for the model while the balance is fine', () => {
  it('tells the pool the model, and serves the request with a key that may use it', async () => {
    const { proxy, models } = await start((p, keyId) => p.dispatch.unusable.add(keyId))
    const answer = await chat(proxy)
    expect(answer.status).toBe(200)
    expect(proxy.upstream.requests.map((r) => r.key)).toEqual([KEYS[0].secret, KEYS[1].secret])
    expect(proxy.dispatch.reports.map(({ outcome }) => outcome)).toEqual([
      { kind: 'forbidden', status: 403, model: PRO },
      { kind: 'success' },
    ])
    // Both leases asked for the model; the first was given back before the second was taken.
    expect(models).toEqual([PRO, PRO])
    expect(proxy.dispatch.releases).toBeGreaterThanOrEqual(1)
    const [record] = await proxy.waitForRecords(1)
    expect(record).toMatchObject({ status: 200, attempts: 2, upstreamKeyId: 2, model: PRO })
  })

  it('answers 403 with the added message when no key may use the model', async () => {
    const { proxy } = await start((p) => {
      p.dispatch.refusal = Object.assign(
        new ModelUnavailable(`No upstream key may use model ${PRO}: ...`),
        { explanation: { code: 'model_unavailable', params: { model: PRO } } },
      )
    })
    const answer = await chat(proxy)
    expect(answer.status).toBe(403)
    expect(answer.json.error).toMatchObject({
      code: 'no_available_key',
      message: `No upstream key may use model ${PRO}: ...`,
      explanation: { code: 'model_unavailable', params: { model: PRO } },
    })
    expect(proxy.upstream.requests).toHaveLength(1)
    const [record] = await proxy.waitForRecords(1)
    expect(record).toMatchObject({ status: 403, errorType: 'no_available_key' })
  })

  it("passes the upstream's 403 through when another key may not be used now", async () => {
    const { proxy } = await start((p) => {
      p.dispatch.refusal = withRetryAfter(new KeySwitchGuard('the guard holds'), 600)
    })
    const answer = await chat(proxy)
    expect(answer.status).toBe(403)
    expect(answer.json).toEqual(REFUSED)
    const [record] = await proxy.waitForRecords(1)
    expect(record).toMatchObject({ status: 403, upstreamStatus: 403, upstreamKeyId: 1 })
  })
})
