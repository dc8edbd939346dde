import type { EgressPatch, UpstreamKeyPatch } from '@sfp/db'
import { describe, expect, it } from 'vitest'
import { basicAuth, buildTestApp, type TestApp } from '../helpers/test-app.js'

const admin = { authorization: basicAuth() }
const key = (n: number) => `sk-${String(n).padStart(6, '0')}${'w'.repeat(42)}`

/**
 * The key pool and the egresses write an admin change at once, but behind the handler: a write
 * started while another is under way follows it a few microtasks later (on PostgreSQL, a round
 * trip later). The answer waits for it (README "Crash safety": a change the admin API answered
 * survives a killed process). Here every row write takes 20 ms, as on a slow database, and each
 * answer must find its rows written.
 */
function slowWrites(test: TestApp) {
  const landed: { id: number; patch: UpstreamKeyPatch | EgressPatch }[] = []
  const slow =
    <P>(write: (id: number, patch: P) => Promise<unknown>) =>
    async (id: number, patch: P) => {
      await new Promise((resolve) => setTimeout(resolve, 20))
      await write(id, patch)
      landed.push({ id, patch: patch as UpstreamKeyPatch | EgressPatch })
    }
  const { upstreamKeys, egresses } = test.app.database
  upstreamKeys.update = slow(upstreamKeys.update.bind(upstreamKeys))
  egresses.update = slow(egresses.update.bind(egresses))
  return landed
}

async function appWithKeys(count: number) {
  const test = await buildTestApp({ KEY_SWITCH_POLICY: 'immediate' })
  await test.app.keyPool.add({
    api_keys: Array.from({ length: count }, (_, i) => key(i + 1)).join('\n'),
  })
  const inject = (method: 'PATCH' | 'POST' | 'PUT', url: string, payload?: object) =>
    test.app.inject({
      method,
      url: `/api/manage${url}`,
      headers: admin,
      ...(payload === undefined ? {} : { payload }),
    })
  return { ...test, inject, landed: slowWrites(test) }
}

describe('an admin change is written before its answer', () => {
  it('a bulk disable: every key’s new state', async () => {
    const { inject, landed } = await appWithKeys(3)
    const answer = await inject('POST', '/api-keys/bulk', { action: 'disable', ids: [1, 2, 3] })
    expect(answer.statusCode).toBe(200)
    for (const id of [1, 2, 3]) {
      expect(landed).toContainEqual({ id, patch: expect.objectContaining({ status: 'disabled' }) })
    }
  })

  it('a disable with a new label', async () => {
    const { inject, landed } = await appWithKeys(1)
    const answer = await inject('PATCH', '/api-keys/1', { enabled: false, label: 'old' })
    expect(answer.statusCode).toBe(200)
    expect(landed).toContainEqual({
      id: 1,
      patch: expect.objectContaining({ status: 'disabled', label: 'old' }),
    })
  })

  it('an activation: the key’s state and its binding to the lane', async () => {
    const { inject, landed, app } = await appWithKeys(2)
    app.keyPool.update(2, { enabled: false })
    const answer = await inject('PUT', '/api-keys/2/activate')
    expect(answer.statusCode).toBe(200)
    expect(landed).toContainEqual({ id: 2, patch: expect.objectContaining({ status: 'active' }) })
    const lane = app.dispatch.status().egresses[0]?.id
    expect(landed).toContainEqual({ id: 2, patch: expect.objectContaining({ egressId: lane }) })
  })

  it('an egress disabled', async () => {
    const { inject, landed, app } = await appWithKeys(0)
    const created = await inject('POST', '/egresses', { url: 'http://127.0.0.1:20001' })
    expect(created.statusCode).toBe(201)
    const { id } = created.json() as { id: number }
    const answer = await inject('PATCH', `/egresses/${id}`, { enabled: false })
    expect(answer.statusCode).toBe(200)
    expect(landed).toContainEqual({ id, patch: expect.objectContaining({ enabled: false }) })
    expect(app.egress.view(id)?.enabled).toBe(false)
  })
})
