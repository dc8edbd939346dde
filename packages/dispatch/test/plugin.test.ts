import { parseConfig } from '@sfp/schemas'
import { describe, expect, it } from 'vitest'
import { ShuttingDown } from '../src/errors.js'
import { dispatchSettings } from '../src/plugin.js'
import { buildTestApp } from './helpers/test-app.js'

describe('dispatch plugin', () => {
  it('installs the upstream gate and the keys in use into the pool, and activations as overrides', async () => {
    const { app, pool } = await buildTestApp()
    const [first, second] = (await pool.add({ api_keys: 'sk-plugin-key-one\nsk-plugin-key-two' }))
      .added
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

  it('takes its slice of the parsed Config as it is', async () => {
    const config = parseConfig({
      DISPATCH_CONCURRENCY: '3',
      KEY_SWITCH_POLICY: 'immediate',
      CLIENT_QUEUE_SHARE: '0.25',
    })
    expect(dispatchSettings(config)).toEqual({
      concurrency: 3,
      queueMax: 100,
      clientQueueShare: 0.25,
      queueTimeoutMs: 600_000,
      guardMinutes: 30,
      policy: 'immediate',
    })
    const { app } = await buildTestApp({ dispatch: { dispatchConcurrency: 3 } })
    expect(app.dispatch.status().egresses[0]?.dispatch).toMatchObject({ concurrency: 3 })
  })

  it('refuses queued waiters when the server closes, and lets the holder finish', async () => {
    const { app, pool } = await buildTestApp()
    await pool.add({ api_key: 'sk-plugin-key-one' })
    const held = await app.dispatch.lease()
    const waiting = app.dispatch.lease()
    const closed = app.close()
    await expect(waiting).rejects.toBeInstanceOf(ShuttingDown)
    held.release()
    await closed
  })
})
