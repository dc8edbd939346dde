import { explanationOf } from '@sfp/schemas'
import { type MockUpstream, startMockUpstream } from '@sfp/test-support/upstream'
import { afterEach, describe, expect, it } from 'vitest'
import type { Lease, LeaseOptions } from '../src/types.js'
import { createTestbed, settle, type Testbed, type TestbedOptions } from './helpers/testbed.js'

const MINUTE = 60_000
const SUCCESS = { kind: 'success' } as const
/** The testbed's keys, as `createTestbed` names them. */
const KEY_1 = 'sk-testbed-key-1-xxxxxx'
const KEY_2 = 'sk-testbed-key-2-xxxxxx'
const PRO = 'Pro/deepseek-ai/DeepSeek-R1'
const FREE = 'Qwen/Qwen2.5-7B-Instruct'

const upstreams: MockUpstream[] = []
afterEach(async () => {
  for (const upstream of upstreams.splice(0)) await upstream.close()
})

/** A testbed whose pool asks a look-alike upstream that knows both keys, balance fine. */
async function bedWithUpstream(options: TestbedOptions) {
  const upstream = await startMockUpstream({
    accounts: { [KEY_1]: { totalBalance: '50.00' }, [KEY_2]: { totalBalance: '50.00' } },
  })
  upstreams.push(upstream)
  const bed = await createTestbed({ ...options, upstreamBaseUrl: upstream.url })
  return { bed, upstream }
}

/** Take a lease, make one successful call with it, give it back. */
async function serveOne(bed: Testbed, options: LeaseOptions = {}): Promise<Lease> {
  const lease = await bed.dispatch.lease(options)
  await lease.end(SUCCESS)
  lease.release()
  return lease
}

/** Upstream refused `model` to the lease's key with a 403, its balance fine. */
async function refuseModel(bed: Testbed, model: string): Promise<Lease> {
  const lease = await bed.dispatch.lease({ model })
  const verdict = await lease.end({ kind: 'forbidden', status: 403, model })
  expect(verdict).toEqual({ status: 'active', moveOn: false, blockedModel: model })
  lease.release()
  return lease
}

describe('model access: requests for a model skip keys upstream refused it to', () => {
  it('routes the model to the lane whose key may use it; other models go to either lane', async () => {
    const { bed } = await bedWithUpstream({ proxies: 1, keys: 2 })
    const [laneA, laneB] = bed.laneIds as [number, number]
    const [key1, key2] = bed.keyIds as [number, number]
    expect(await serveOne(bed)).toMatchObject({ laneId: laneA, keyId: key1 })
    expect(await serveOne(bed)).toMatchObject({ laneId: laneB, keyId: key2 })
    // Lane A is the least recently busy: the PRO request goes there and key 1 is refused it.
    expect(await refuseModel(bed, PRO)).toMatchObject({ laneId: laneA, keyId: key1 })
    expect(bed.pool.view(key1)).toMatchObject({ status: 'active', blockedModels: [PRO] })

    // Lane B was busy less recently now, but again and again PRO goes to lane B only.
    for (let round = 0; round < 3; round++) {
      expect(await serveOne(bed, { model: PRO })).toMatchObject({ laneId: laneB, keyId: key2 })
    }
    // Other models go to the least recently busy lane, key 1's included.
    expect(await serveOne(bed, { model: FREE })).toMatchObject({ laneId: laneA, keyId: key1 })
    expect(await serveOne(bed, { model: FREE })).toMatchObject({ laneId: laneB, keyId: key2 })
    expect(await serveOne(bed)).toMatchObject({ laneId: laneA, keyId: key1 })

    // While lane B is busy a PRO request waits for it, though lane A is idle.
    const holding = await bed.dispatch.lease({ model: FREE })
    expect(holding.laneId).toBe(laneB)
    let waiting: Lease | undefined
    void bed.dispatch.lease({ model: PRO }).then((lease) => {
      waiting = lease
    })
    await settle()
    expect(waiting).toBeUndefined()
    expect(
      bed.dispatch.status().egresses.find((lane) => lane.id === laneA)?.dispatch,
    ).toMatchObject({ inFlight: 0 })
    holding.release()
    await settle()
    expect(waiting).toMatchObject({ laneId: laneB, keyId: key2, switched: false })
    waiting?.release()
  })

  it('under wait, never switches a lane to another key for the model inside the guard window', async () => {
    const { bed } = await bedWithUpstream({ keys: 2, policy: 'wait' })
    const [key1, key2] = bed.keyIds as [number, number]
    expect(await refuseModel(bed, PRO)).toMatchObject({ keyId: key1 })
    const refused = await bed.dispatch.lease({ model: PRO }).catch((error: unknown) => error)
    expect(refused).toMatchObject({ code: 'SFP_KEY_SWITCH_GUARD', statusCode: 503 })
    expect((refused as { retryAfterSeconds?: number }).retryAfterSeconds).toBe(30 * 60)
    expect((refused as Error).message).toContain(`which upstream refused model ${PRO}`)
    expect(explanationOf(refused)).toMatchObject({
      code: 'guard_holds',
      params: { subject: { kind: 'move', fromKeyId: key1, toKeyId: key2 } },
    })
    // Other models keep the lane's key.
    expect(await serveOne(bed, { model: FREE })).toMatchObject({ keyId: key1, switched: false })
    // Past the window the lane may move to a key that may use the model.
    bed.clock.advance(31 * MINUTE)
    expect(await serveOne(bed, { model: PRO })).toMatchObject({ keyId: key2, switched: true })
  })

  it('under immediate, moves the lane to a key that may use the model at once, as the operator chose', async () => {
    const { bed } = await bedWithUpstream({ keys: 2, policy: 'immediate' })
    const [key1, key2] = bed.keyIds as [number, number]
    expect(await refuseModel(bed, PRO)).toMatchObject({ keyId: key1 })
    expect(await serveOne(bed, { model: PRO })).toMatchObject({ keyId: key2, switched: true })
  })

  it('answers 403 in the error envelope when no key may use the model at all', async () => {
    const { bed } = await bedWithUpstream({ proxies: 1, keys: 2 })
    const [laneA, laneB] = bed.laneIds as [number, number]
    const [key1, key2] = bed.keyIds as [number, number]
    await serveOne(bed)
    await serveOne(bed)
    // Each key is refused the model (the second one reported straight to the pool).
    expect(await refuseModel(bed, PRO)).toMatchObject({ laneId: laneA, keyId: key1 })
    await bed.pool.report(key2, { kind: 'forbidden', status: 403, model: PRO })
    const refused = await bed.dispatch.lease({ model: PRO }).catch((error: unknown) => error)
    expect(refused).toMatchObject({ code: 'SFP_NO_AVAILABLE_KEY', statusCode: 403 })
    expect((refused as Error).message).toContain(`No upstream key may use model ${PRO}`)
    expect((refused as { retryAfterSeconds?: number }).retryAfterSeconds).toBeUndefined()
    expect(explanationOf(refused)).toEqual({ code: 'model_unavailable', params: { model: PRO } })
    // The keys serve every other model all the same.
    expect(await serveOne(bed, { model: FREE })).toMatchObject({ laneId: laneB, keyId: key2 })
  })
})

describe('recovery: a lane whose every key is dead re-checks its own key', () => {
  it('brings a topped-up key back after BALANCE_REFRESH_MINUTES, through its own lane', async () => {
    const { bed, upstream } = await bedWithUpstream({ keys: 2, balanceRefreshMinutes: 60 })
    const [key1, key2] = bed.keyIds as [number, number]
    // Key 2 is the admin's to keep off; key 1 runs dry on its lane.
    bed.pool.update(key2, { enabled: false, reason: 'kept for the batch job' })
    upstream.setAccount(KEY_1, { totalBalance: '0.20' })
    const lease = await bed.dispatch.lease()
    expect(lease.keyId).toBe(key1)
    expect(await lease.end({ kind: 'forbidden', status: 403, model: FREE })).toEqual({
      status: 'insufficient',
      moveOn: true,
    })
    lease.release()
    const dead = await bed.dispatch.lease().catch((error: unknown) => error)
    expect(dead).toMatchObject({ code: 'SFP_NO_AVAILABLE_KEY', statusCode: 503 })

    // Topped up: nobody touches the dashboard; the refresh finds it.
    upstream.setAccount(KEY_1, { totalBalance: '25.00' })
    const checksBefore = upstream.requests.length
    bed.clock.advance(59 * MINUTE)
    await bed.pool.settled()
    expect(upstream.requests.length).toBe(checksBefore)
    bed.clock.advance(1 * MINUTE)
    await settle()
    await bed.pool.settled()
    const checks = upstream.requests.slice(checksBefore)
    expect(checks.map((request) => [request.path, request.key])).toEqual([['/v1/user/info', KEY_1]])
    expect(bed.pool.view(key1)).toMatchObject({ status: 'active', balance: 25 })
    expect(bed.pool.view(key2)?.status).toBe('disabled')
    expect(await serveOne(bed)).toMatchObject({ keyId: key1, switched: false })
  })
})
