import Fastify from 'fastify'
import fp from 'fastify-plugin'
import { describe, expect, it } from 'vitest'
import { ShuttingDown } from '../src/errors.js'
import dispatchPlugin from '../src/plugin.js'
import { buildTestApp } from './helpers/test-app.js'

describe('dispatch plugin', () => {
  it('installs the upstream gate and the keys in use into the pool, and activations as overrides', async () => {
    const { app, pool } = await buildTestApp()
    const [first, second] = pool.add({ api_keys: 'sk-plugin-key-one\nsk-plugin-key-two' }).added
    const held = await app.dispatch.lease()
    expect(held.keyId).toBe(first?.id)
    // A check waits for the key's lane like a request: it goes out through the lease's dispatcher.
    const check = pool.check(first?.id ?? 0)
    expect(app.dispatch.status().dispatch.queued).toBe(1)
    held.release()
    await check
    expect(pool.view(first?.id ?? 0)).toMatchObject({ isCurrent: true })
    app.dispatch.activate(second?.id ?? 0)
    expect(app.dispatch.status().switchGuard).toMatchObject({
      lastUsedKeyId: second?.id,
      currentKeyId: second?.id,
    })
    expect(pool.status().currentKeyId).toBe(second?.id)
  })

  it('validates its options once, naming the setting', async () => {
    const app = Fastify({ logger: false })
    app.register(fp(async () => {}, { name: 'database' }))
    app.register(fp(async () => {}, { name: 'key-pool' }))
    app.register(fp(async () => {}, { name: 'egress' }))
    app.register(dispatchPlugin, { dispatchConcurrency: 0 })
    await expect(app.ready()).rejects.toThrow(
      'Invalid dispatch options: dispatchConcurrency: Too small: expected number to be >=1',
    )
  })

  it('refuses queued waiters when the server closes, and lets the holder finish', async () => {
    const { app, pool } = await buildTestApp()
    pool.add({ api_key: 'sk-plugin-key-one' })
    const held = await app.dispatch.lease()
    const waiting = app.dispatch.lease()
    const closed = app.close()
    await expect(waiting).rejects.toBeInstanceOf(ShuttingDown)
    held.release()
    await closed
  })
})
