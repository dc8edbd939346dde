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
      models: null,
      expiresAt: null,
      rpm: null,
      dailyRequests: null,
      dailyTokens: null,
      monthlySpendCny: null,
      allowedIps: null,
      note: null,
      usageDay: null,
      dayRequests: 0,
      dayTokens: 0,
      usageMonth: null,
      monthSpendCny: 0,
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

  it('stores limits at insert and changes them by patch; an unknown id changes nothing', async () => {
    const { clientKeys } = await open()
    const limits = {
      models: ['Qwen/*', 'deepseek-ai/DeepSeek-V3'],
      expiresAt: T0 + 86_400_000,
      rpm: 60,
      dailyRequests: 1000,
      dailyTokens: 2 ** 40,
      monthlySpendCny: 12.5,
      allowedIps: ['10.0.0.0/8', '2001:db8::/32'],
      note: '实习生',
    }
    const team = await clientKeys.insert({ ...newClientKey('team'), ...limits })
    expect(team).toMatchObject(limits)

    const changed = await clientKeys.update(team.id, { models: null, rpm: 5, name: 'renamed' })
    expect(changed).toEqual({ ...team, models: null, rpm: 5, name: 'renamed' })
    expect(await clientKeys.all()).toEqual([changed])
    expect(await clientKeys.update(team.id + 100, { rpm: 1 })).toBeUndefined()
  })

  it('adds day counters within a day, starts again on a later day, ignores an earlier one', async () => {
    const { clientKeys } = await open()
    const a = await clientKeys.insert(newClientKey('a'))
    const use = (date: string, requests: number, tokens: number) =>
      new Map([[a.id, { requests, lastUsedAt: T0, day: { date, requests, tokens } }]])
    const day = async () => {
      const [row] = await clientKeys.all()
      return [row?.usageDay, row?.dayRequests, row?.dayTokens]
    }

    await clientKeys.recordUsage(use('2026-01-01', 2, 30))
    await clientKeys.recordUsage(use('2026-01-01', 1, 2 ** 40))
    expect(await day()).toEqual(['2026-01-01', 3, 30 + 2 ** 40])
    await clientKeys.recordUsage(use('2026-01-02', 1, 5))
    expect(await day()).toEqual(['2026-01-02', 1, 5])
    await clientKeys.recordUsage(use('2026-01-01', 7, 7))
    expect(await day()).toEqual(['2026-01-02', 1, 5])
    // Without a day, only the total and the last use move.
    await clientKeys.recordUsage(new Map([[a.id, { requests: 4, lastUsedAt: T0 }]]))
    expect(await day()).toEqual(['2026-01-02', 1, 5])
    expect((await clientKeys.all())[0]?.requestCount).toBe(2 + 1 + 1 + 7 + 4)
  })

  it('adds month spend within a month and starts again in a later one', async () => {
    const { clientKeys } = await open()
    const a = await clientKeys.insert(newClientKey('a'))
    const spend = (month: string, spendCny: number) =>
      new Map([[a.id, { requests: 0, lastUsedAt: T0, month: { month, spendCny } }]])
    const month = async () => {
      const [row] = await clientKeys.all()
      return [row?.usageMonth, row?.monthSpendCny]
    }
    await clientKeys.recordUsage(spend('2026-01', 0.25))
    await clientKeys.recordUsage(spend('2026-01', 0.5))
    expect(await month()).toEqual(['2026-01', 0.75])
    await clientKeys.recordUsage(spend('2026-02', 2))
    await clientKeys.recordUsage(spend('2026-01', 9))
    expect(await month()).toEqual(['2026-02', 2])
  })
})
