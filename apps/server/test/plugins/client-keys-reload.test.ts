import { describe, expect, it } from 'vitest'
import { buildTestApp } from '../helpers/test-app.js'

async function appWithUses(uses: number) {
  const { app } = await buildTestApp()
  const { plaintext } = await app.clientKeys.create('reader')
  const identity = app.clientKeys.verify(plaintext)
  if (identity === undefined) throw new Error('the new key is not accepted')
  const use = () => {
    expect(
      app.clientKeys.admit(identity, { model: null, ip: null, now: app.clock.now() }),
    ).toBeNull()
    app.clientKeys.recordUse(identity)
  }
  for (let i = 0; i < uses; i++) use()
  return { app, use }
}

describe('client keys: reload (cluster mode reads them again)', () => {
  it('counts a usage write that lands while the rows are read once, not twice', async () => {
    const { app } = await appWithUses(3)

    // The next usage write is in the database at once, but settles only when released: a read
    // of the rows meanwhile sees its counts while it is still under way.
    const repository = app.database.clientKeys
    const recordUsage = repository.recordUsage.bind(repository)
    let release = () => {}
    repository.recordUsage = async (uses) => {
      await recordUsage(uses)
      repository.recordUsage = recordUsage
      await new Promise<void>((resolve) => {
        release = resolve
      })
    }
    const writing = app.clientKeys.flushUsage()
    const reloading = app.clientKeys.reload()
    setTimeout(() => release(), 20)
    await Promise.all([writing, reloading])

    const [view] = app.clientKeys.list().keys
    expect(view).toMatchObject({ requestCount: 3, usage: { requestsToday: 3 } })
    // And as stored: what a restart would show.
    await app.clientKeys.reload()
    expect(app.clientKeys.list().keys[0]).toMatchObject({
      requestCount: 3,
      usage: { requestsToday: 3 },
    })
  })

  it('reads the rows again when a usage write started while they were read', async () => {
    const { app, use } = await appWithUses(0)
    const repository = app.database.clientKeys
    const all = repository.all.bind(repository)
    let reads = 0
    repository.all = async () => {
      reads += 1
      // The first read meets a write of two uses that lands before it and settles after it.
      if (reads === 1) {
        use()
        use()
        void app.clientKeys.flushUsage()
      }
      return all()
    }
    await app.clientKeys.reload()
    expect(reads).toBe(2)
    expect(app.clientKeys.list().keys[0]).toMatchObject({
      requestCount: 2,
      usage: { requestsToday: 2 },
    })
  })
})
