import { expect, it } from 'vitest'
import type { NewUpstreamKeyRow } from '../../src/schema.js'
import { describeStorage } from './dialects.js'
import { EXPLANATION, newKey, T0 } from './rows.js'

describeStorage('upstream keys storage', ({ open }) => {
  it('inserts in order, skips fingerprints stored or given twice, returns the rows as stored', async () => {
    const { upstreamKeys } = await open()
    const [first] = await upstreamKeys.insertMany([newKey('a')])
    const inserted = await upstreamKeys.insertMany([
      newKey('b'),
      newKey('a', { secret: 'sk-other' }),
      newKey('c', { label: 'three', status: 'disabled', balance: 1.25, callCount: undefined }),
      newKey('b', { label: 'again' }),
    ])

    expect(first).toEqual({
      id: expect.any(Number),
      secret: 'sk-a',
      fingerprint: 'fp-a',
      maskedKey: 'sk-…a',
      label: null,
      status: 'active',
      balance: null,
      balanceCheckedAt: null,
      callCount: 0,
      errorCount: 0,
      consecutiveErrors: 0,
      rateLimitStrikes: 0,
      rateLimitClass: null,
      successesSinceCheck: 0,
      lastError: null,
      lastErrorDetail: null,
      lastUsedAt: null,
      cooldownUntil: null,
      egressId: null,
      egressUsedAt: null,
      spent: null,
      blockedModels: null,
      createdAt: T0,
      updatedAt: T0,
    })
    expect(inserted.map((row) => [row.fingerprint, row.label, row.status, row.balance])).toEqual([
      ['fp-b', null, 'active', null],
      ['fp-c', 'three', 'disabled', 1.25],
    ])
    const ids = [first?.id, ...inserted.map((row) => row.id)]
    expect(ids).toEqual([...ids].sort((a = 0, b = 0) => a - b))
    expect(new Set(ids).size).toBe(3)
    expect(await upstreamKeys.all()).toEqual([first, ...inserted])
    expect(await upstreamKeys.insertMany([])).toEqual([])
  })

  it('stores none of the rows of an insert that fails', async () => {
    const { upstreamKeys } = await open()
    const broken = { ...newKey('y'), maskedKey: null } as unknown as NewUpstreamKeyRow
    await expect(upstreamKeys.insertMany([newKey('x'), broken])).rejects.toThrow()
    expect(await upstreamKeys.all()).toEqual([])
  })

  it('writes a patch: nulls and JSON written, undefined fields left alone', async () => {
    const { upstreamKeys } = await open()
    const [key] = await upstreamKeys.insertMany([newKey('a', { label: 'keep' })])
    if (key === undefined) throw new Error('not inserted')
    const later = T0 + 86_400_000 * 400
    await upstreamKeys.update(key.id, {
      callCount: 2 ** 40,
      lastError: 'boom',
      lastErrorDetail: EXPLANATION,
      cooldownUntil: later,
      balance: 0.5,
      label: undefined,
    })
    await upstreamKeys.update(key.id, { lastError: null, status: 'error' })
    await upstreamKeys.update(key.id + 1000, { lastError: 'nobody' })

    expect(await upstreamKeys.all()).toEqual([
      {
        ...key,
        label: 'keep',
        callCount: 2 ** 40,
        lastError: null,
        lastErrorDetail: EXPLANATION,
        cooldownUntil: later,
        balance: 0.5,
        status: 'error',
      },
    ])
    await expect(upstreamKeys.update(key.id, { label: undefined })).rejects.toThrow(
      'No values to set',
    )
  })

  it('removes the keys given and counts those that existed', async () => {
    const { upstreamKeys } = await open()
    const [a, b, c] = await upstreamKeys.insertMany([newKey('a'), newKey('b'), newKey('c')])
    if (!a || !b || !c) throw new Error('not inserted')
    expect(await upstreamKeys.remove([a.id, c.id, c.id + 100])).toBe(2)
    expect(await upstreamKeys.remove([])).toBe(0)
    expect(await upstreamKeys.all()).toEqual([b])
  })

  it('replaces secrets and fingerprints, all or none', async () => {
    const { upstreamKeys } = await open()
    const [a, b] = await upstreamKeys.insertMany([newKey('a'), newKey('b')])
    if (!a || !b) throw new Error('not inserted')
    await upstreamKeys.replaceSecrets([
      { id: a.id, secret: 'enc:a', fingerprint: 'hmac-a' },
      { id: b.id, secret: 'enc:b', fingerprint: 'hmac-b' },
    ])
    expect(await upstreamKeys.all()).toEqual([
      { ...a, secret: 'enc:a', fingerprint: 'hmac-a' },
      { ...b, secret: 'enc:b', fingerprint: 'hmac-b' },
    ])

    // The second row takes a fingerprint another key holds: the first is not written either.
    const failing = upstreamKeys.replaceSecrets([
      { id: a.id, secret: 'enc2:a', fingerprint: 'hmac2-a' },
      { id: b.id, secret: 'enc2:b', fingerprint: 'hmac2-a' },
    ])
    await expect(failing).rejects.toThrow()
    expect((await upstreamKeys.all()).map((row) => row.secret)).toEqual(['enc:a', 'enc:b'])
  })
})
