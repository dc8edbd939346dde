import type { KeyView, ListLogsResponse, PricesResponse, StatsResponse } from '@sfp/schemas'
import { describe, expect, it } from 'vitest'
import { CHAT_MODEL, chatBody, startProxyApp } from '../helpers/proxy-app.js'
import { basicAuth, buildTestApp, tempDataDir } from '../helpers/test-app.js'

const admin = { authorization: basicAuth() }
const PRICE = { model: CHAT_MODEL, inputPerMillion: 4, outputPerMillion: 12 }

describe('the price table (/api/manage/prices)', () => {
  it('is empty at first, is replaced whole, refuses bad rows changing nothing, and survives a restart', async () => {
    const dataDir = tempDataDir()
    const first = await buildTestApp({}, { dataDir })
    const empty = await first.app.inject({ url: '/api/manage/prices', headers: admin })
    expect(empty.json()).toEqual({ prices: [], updatedAt: null })

    const put = await first.app.inject({
      method: 'PUT',
      url: '/api/manage/prices',
      headers: admin,
      payload: {
        prices: [PRICE, { model: 'free/model', inputPerMillion: 0, outputPerMillion: 0 }],
      },
    })
    expect(put.statusCode).toBe(200)
    expect((put.json() as PricesResponse).prices).toHaveLength(2)

    const bad = await first.app.inject({
      method: 'PUT',
      url: '/api/manage/prices',
      headers: admin,
      payload: { prices: [{ ...PRICE, inputPerMillion: -1 }] },
    })
    expect(bad.statusCode).toBe(400)
    expect(JSON.stringify(bad.json())).toContain('body.prices.0.inputPerMillion')
    await first.app.close()

    const second = await buildTestApp({}, { dataDir })
    const kept = (await second.app.inject({ url: '/api/manage/prices', headers: admin })).json()
    expect((kept as PricesResponse).prices.map((entry) => entry.model)).toEqual([
      CHAT_MODEL,
      'free/model',
    ])
  })

  it('counts down from a balance the admin entered when upstream no longer reports one', async () => {
    const { app, client, keys, upstream } = await startProxyApp()
    upstream.setUserInfoMode('gone')
    const id = keys[0]?.id ?? 0
    await app.inject({
      method: 'PUT',
      url: '/api/manage/prices',
      headers: admin,
      payload: { prices: [PRICE] },
    })
    const set = await app.inject({
      method: 'PATCH',
      url: `/api/manage/api-keys/${id}`,
      headers: admin,
      payload: { balance: 20 },
    })
    expect(set.statusCode).toBe(200)
    expect(set.json()).toMatchObject({ balance: 20, spent: null, estimatedBalance: 20 })
    await client.chat.completions.create(chatBody('priced'))
    expect(app.keyPool.view(id)).toMatchObject({ balance: 20, estimatedBalance: 19.999948 })
    const events = await app.inject({ url: `/api/manage/key-events?keyId=${id}`, headers: admin })
    expect(JSON.stringify(events.json())).toContain('balance_set_by_admin')
    const negative = await app.inject({
      method: 'PATCH',
      url: `/api/manage/api-keys/${id}`,
      headers: admin,
      payload: { balance: -1 },
    })
    expect(negative.statusCode).toBe(400)
    expect(app.keyPool.view(id)?.balance).toBe(20)
  })

  it('prices a streamed answer from the usage of its last event, as a non-streamed one', async () => {
    const { app, client, keys } = await startProxyApp()
    await app.inject({
      method: 'PUT',
      url: '/api/manage/prices',
      headers: admin,
      payload: { prices: [PRICE] },
    })
    const stream = await client.chat.completions.create({ ...chatBody('priced'), stream: true })
    for await (const _chunk of stream) {
      // read to the end: the usage comes last
    }
    await client.chat.completions.create(chatBody('priced'))
    await app.requestLog.flush()
    const logs = (
      await app.inject({ url: '/api/manage/logs', headers: admin })
    ).json() as ListLogsResponse
    const [plain, streamed] = logs.items
    expect(streamed).toMatchObject({ stream: true, promptTokens: 1, completionTokens: 4 })
    expect(plain).toMatchObject({ stream: false, promptTokens: 1, completionTokens: 4 })
    expect(streamed?.cost).toBe(0.000052)
    expect(plain?.cost).toBe(0.000052)
    expect(app.keyPool.view(keys[0]?.id ?? 0)?.spent).toBe(0.000104)
  })

  it('prices each answer: cost on its log row, spent and an estimated balance on its key', async () => {
    const { app, client, keys } = await startProxyApp()
    await app.inject({
      method: 'PUT',
      url: '/api/manage/prices',
      headers: admin,
      payload: { prices: [PRICE] },
    })
    // A balance is known first (checked on demand): the estimate counts down from it.
    await app.inject({
      method: 'POST',
      url: `/api/manage/api-keys/${keys[0]?.id}/check`,
      headers: admin,
    })
    await client.chat.completions.create(chatBody('priced'))
    await client.chat.completions.create({
      ...chatBody('not priced'),
      model: 'deepseek-ai/DeepSeek-V3',
    })
    await app.requestLog.flush()

    const logs = (
      await app.inject({ url: '/api/manage/logs', headers: admin })
    ).json() as ListLogsResponse
    const byModel = Object.fromEntries(logs.items.map((row) => [row.model, row]))
    const priced = byModel[CHAT_MODEL]
    // The look-alike's usage for this prompt: 1 prompt and 4 completion tokens, 1 × 4 + 4 × 12
    // per million.
    expect(priced).toMatchObject({ promptTokens: 1, completionTokens: 4, cost: 0.000052 })
    expect(byModel['deepseek-ai/DeepSeek-V3']?.cost).toBeNull()
    // The stats sum what was priced.
    const stats = (
      await app.inject({ url: '/api/manage/stats?bucket=day', headers: admin })
    ).json() as StatsResponse
    expect(stats.buckets.reduce((sum, bucket) => sum + (bucket.cost ?? 0), 0)).toBe(0.000052)

    const key = app.keyPool.view(keys[0]?.id ?? 0) as KeyView
    expect(key.balance).toBe(50)
    expect(key.spent).toBe(0.000052)
    expect(key.estimatedBalance).toBe(49.999948)
    // A balance from upstream counts what was spent before it: the spend starts again.
    await app.inject({
      method: 'POST',
      url: `/api/manage/api-keys/${keys[0]?.id}/check`,
      headers: admin,
    })
    expect(app.keyPool.view(keys[0]?.id ?? 0)).toMatchObject({ spent: null, estimatedBalance: 50 })
  })
})
