import { expect, it } from 'vitest'
import { describeStorage } from './dialects.js'
import { T0 } from './rows.js'

const newClientKey = (name: string) => ({
  name,
  keyHash: `hash-${name}`,
  prefix: `sk-sfp-${name}`,
  createdAt: T0,
})

describeStorage('client keys storage', ({ open }) => {
  it('inserts, finds by hash, refuses a hash stored twice, removes', async () => {
    const { clientKeys } = await open()
    const team = await clientKeys.insert(newClientKey('team'))
    const old = await clientKeys.insert({ ...newClientKey('old'), origin: 'siliconflowProxy' })

    expect(team).toEqual({
      id: expect.any(Number),
      name: 'team',
      keyHash: 'hash-team',
      prefix: 'sk-sfp-team',
      createdAt: T0,
      lastUsedAt: null,
      requestCount: 0,
      origin: null,
    })
    expect(old.origin).toBe('siliconflowProxy')
    expect(await clientKeys.findByHash('hash-old')).toEqual(old)
    expect(await clientKeys.findByHash('hash-none')).toBeUndefined()
    await expect(
      clientKeys.insert({ ...newClientKey('copy'), keyHash: 'hash-team' }),
    ).rejects.toThrow()
    expect(await clientKeys.all()).toEqual([team, old])

    expect(await clientKeys.remove(team.id)).toBe(true)
    expect(await clientKeys.remove(team.id)).toBe(false)
    expect(await clientKeys.all()).toEqual([old])
  })

  it('adds request counts and keeps the latest use, concurrent flushes included', async () => {
    const { clientKeys } = await open()
    const a = await clientKeys.insert(newClientKey('a'))
    const b = await clientKeys.insert(newClientKey('b'))
    const later = T0 + 2 ** 33

    await clientKeys.recordUsage(new Map([[a.id, { requests: 3, lastUsedAt: later }]]))
    await Promise.all([
      clientKeys.recordUsage(
        new Map([
          [a.id, { requests: 2, lastUsedAt: T0 }],
          [b.id, { requests: 1, lastUsedAt: T0 + 9 }],
        ]),
      ),
      clientKeys.recordUsage(new Map([[a.id, { requests: 2 ** 40, lastUsedAt: later - 1 }]])),
      clientKeys.recordUsage(new Map([[a.id + 100, { requests: 1, lastUsedAt: T0 }]])),
      clientKeys.recordUsage(new Map()),
    ])

    expect(await clientKeys.all()).toEqual([
      { ...a, requestCount: 3 + 2 + 2 ** 40, lastUsedAt: later },
      { ...b, requestCount: 1, lastUsedAt: T0 + 9 },
    ])
  })
})
