import { expect, it } from 'vitest'
import type { NewKeyEventRow } from '../../src/schema.js'
import { describeStorage } from './dialects.js'
import { EXPLANATION, newEvent, T0 } from './rows.js'

describeStorage('key events storage', ({ open }) => {
  it('appends one or many, lists newest first, of one key or all, up to the limit', async () => {
    const { keyEvents } = await open()
    await keyEvents.append(
      newEvent({ keyId: 1, type: 'added', toStatus: 'active', explanation: EXPLANATION }),
    )
    await keyEvents.appendMany([
      newEvent({ keyId: 2, time: T0 + 1, type: 'switch', reason: 'second' }),
      newEvent({ keyId: null, time: T0 + 2, type: 'override', fromStatus: 'error' }),
      newEvent({ keyId: 1, time: T0 + 3, reason: 'fourth' }),
    ])
    await keyEvents.appendMany([])

    const all = await keyEvents.list({ limit: 10 })
    expect(all.map((event) => event.reason)).toEqual(['fourth', 'because', 'second', 'because'])
    expect(all.at(-1)).toEqual({
      id: expect.any(Number),
      time: T0,
      keyId: 1,
      type: 'added',
      fromStatus: null,
      toStatus: 'active',
      reason: 'because',
      explanation: EXPLANATION,
    })
    expect(all[1]).toMatchObject({ keyId: null, fromStatus: 'error', explanation: null })
    expect((await keyEvents.list({ keyId: 1, limit: 10 })).map((event) => event.time)).toEqual([
      T0 + 3,
      T0,
    ])
    expect((await keyEvents.list({ limit: 2 })).map((event) => event.time)).toEqual([
      T0 + 3,
      T0 + 2,
    ])
  })

  it('appends many all or nothing', async () => {
    const { keyEvents } = await open()
    const broken = { ...newEvent(), reason: null } as unknown as NewKeyEventRow
    await expect(keyEvents.appendMany([newEvent(), broken])).rejects.toThrow()
    expect(await keyEvents.list({ limit: 10 })).toEqual([])
  })
})
