import { describe, expect, it } from 'vitest'
import {
  copyRowWrite,
  type FencedRowWrite,
  foldRowWrite,
  hasFields,
  rowWriteFields,
} from '../src/fenced-row-write.js'

type Write = FencedRowWrite<Record<string, number>, string>

describe('fenced row writes', () => {
  it('keep the fenced part apart through folds, the later value of a field in the part that set it', () => {
    const own = copyRowWrite<Write>({ id: 1, patch: { calls: 1, bound: 0 } })
    foldRowWrite<Record<string, number>, string>(own, {
      id: 1,
      patch: {},
      fenced: { patch: { bound: 7, usedAt: 5 }, fence: 'lease-1' },
    })
    expect(own).toEqual({
      id: 1,
      patch: { calls: 1 },
      fenced: { patch: { bound: 7, usedAt: 5 }, fence: 'lease-1' },
    })
    foldRowWrite<Record<string, number>, string>(own, { id: 1, patch: { calls: 2, usedAt: 6 } })
    expect(own).toEqual({
      id: 1,
      patch: { calls: 2, usedAt: 6 },
      fenced: { patch: { bound: 7 }, fence: 'lease-1' },
    })
    foldRowWrite<Record<string, number>, string>(own, {
      id: 1,
      patch: {},
      fenced: { patch: { usedAt: 9 }, fence: 'lease-2' },
    })
    expect(own.fenced).toEqual({ patch: { bound: 7, usedAt: 9 }, fence: 'lease-2' })
    expect(own.patch).toEqual({ calls: 2 })
    expect(rowWriteFields(own)).toEqual({ calls: 2, bound: 7, usedAt: 9 })
  })

  it('copy shares no patch object with the original, and keeps its other fields', () => {
    const original = {
      id: 3,
      updatedAt: 10,
      patch: { calls: 1 },
      fenced: { patch: { bound: 2 }, fence: 'lease' },
    }
    const copy = copyRowWrite(original)
    foldRowWrite<Record<string, number>, string>(copy, {
      id: 3,
      patch: { bound: 4 },
      fenced: { patch: { calls: 5 }, fence: 'lease' },
    })
    expect(original).toEqual({
      id: 3,
      updatedAt: 10,
      patch: { calls: 1 },
      fenced: { patch: { bound: 2 }, fence: 'lease' },
    })
    expect(copy).toMatchObject({
      updatedAt: 10,
      patch: { bound: 4 },
      fenced: { patch: { calls: 5 } },
    })
  })

  it('hasFields tells an empty patch', () => {
    expect(hasFields({})).toBe(false)
    expect(hasFields({ calls: 0 })).toBe(true)
  })
})
