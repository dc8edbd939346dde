import { expect, it } from 'vitest'
import { describeStorage } from './dialects.js'
import { EXPLANATION, newEgress, newKey, T0 } from './rows.js'

describeStorage('egresses storage', ({ open }) => {
  it('inserts with the defaults, refuses a second egress of the same identity', async () => {
    const { egresses } = await open()
    const first = await egresses.insert(newEgress('a', { password: 'pw', label: 'A' }))
    const direct = await egresses.insert({
      kind: 'direct',
      scheme: 'direct',
      identity: 'direct:',
      builtin: true,
      createdAt: T0,
      updatedAt: T0,
    })

    expect(first).toEqual({
      id: expect.any(Number),
      kind: 'http',
      scheme: 'http',
      host: 'a',
      port: 8080,
      username: null,
      password: 'pw',
      localAddress: null,
      identity: 'http:a:8080',
      label: 'A',
      enabled: true,
      builtin: false,
      fromEnv: false,
      state: 'up',
      stateReason: null,
      stateExplanation: null,
      blockedUntil: null,
      failures: 0,
      retryAt: null,
      guardKeyId: null,
      guardUsedAt: null,
      guardSwitchAt: null,
      requestCount: 0,
      errorCount: 0,
      lastUsedAt: null,
      createdAt: T0,
      updatedAt: T0,
    })
    expect(direct).toMatchObject({ kind: 'direct', host: null, builtin: true, enabled: true })
    expect(await egresses.insert(newEgress('a', { label: 'same identity' }))).toBeUndefined()
    expect(await egresses.all()).toEqual([first, direct])
  })

  it('writes a patch: booleans, JSON and nulls; undefined fields left alone', async () => {
    const { egresses } = await open()
    const egress = await egresses.insert(newEgress('a', { label: 'keep' }))
    if (egress === undefined) throw new Error('not inserted')
    await egresses.update(egress.id, {
      enabled: false,
      state: 'blocked',
      stateReason: 'blocked by upstream',
      stateExplanation: EXPLANATION,
      blockedUntil: T0 + 3_600_000,
      guardKeyId: 7,
      guardUsedAt: T0 + 1,
      label: undefined,
    })
    await egresses.update(egress.id, { stateReason: null, fromEnv: true })

    expect(await egresses.all()).toEqual([
      {
        ...egress,
        enabled: false,
        fromEnv: true,
        state: 'blocked',
        stateReason: null,
        stateExplanation: EXPLANATION,
        blockedUntil: T0 + 3_600_000,
        guardKeyId: 7,
        guardUsedAt: T0 + 1,
      },
    ])
    await expect(egresses.update(egress.id, {})).rejects.toThrow('No values to set')
  })

  it('removes an egress and unbinds its keys, keeping when they were last used there', async () => {
    const { egresses, upstreamKeys } = await open()
    const gone = await egresses.insert(newEgress('gone'))
    const kept = await egresses.insert(newEgress('kept'))
    if (!gone || !kept) throw new Error('not inserted')
    const keys = await upstreamKeys.insertMany([
      newKey('a', { egressId: gone.id, egressUsedAt: T0 + 5 }),
      newKey('b', { egressId: kept.id, egressUsedAt: T0 + 6 }),
      newKey('c', { egressId: gone.id, egressUsedAt: T0 + 7 }),
    ])

    expect(await egresses.remove(gone.id)).toBe(true)
    expect(await egresses.remove(gone.id)).toBe(false)
    expect(await egresses.all()).toEqual([kept])
    expect((await upstreamKeys.all()).map((key) => [key.egressId, key.egressUsedAt])).toEqual([
      [null, T0 + 5],
      [kept.id, T0 + 6],
      [null, T0 + 7],
    ])
    expect(keys).toHaveLength(3)
  })

  it('replaces the proxy passwords given', async () => {
    const { egresses } = await open()
    const a = await egresses.insert(newEgress('a', { password: 'pa' }))
    const b = await egresses.insert(newEgress('b', { password: 'pb' }))
    if (!a || !b) throw new Error('not inserted')
    await egresses.replacePasswords([{ id: b.id, password: 'enc:pb' }])
    await egresses.replacePasswords([])
    expect(await egresses.all()).toEqual([a, { ...b, password: 'enc:pb' }])
  })
})
