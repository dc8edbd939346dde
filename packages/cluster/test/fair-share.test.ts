import { describe, expect, it } from 'vitest'
import { shareLanes } from '../src/fair-share.js'

const lanes = [11, 12, 13, 14, 15, 16, 17]

/** Lanes that change holder between two assignments. */
function moves(before: Map<string, number[]>, after: Map<string, number[]>): number {
  const holderBefore = new Map<number, string>()
  for (const [id, held] of before) for (const lane of held) holderBefore.set(lane, id)
  let moved = 0
  for (const [id, held] of after)
    for (const lane of held) if (holderBefore.get(lane) !== id) moved++
  return moved
}

function holdersOf(assignment: Map<string, number[]>): Map<number, string> {
  const holders = new Map<number, string>()
  for (const [id, held] of assignment) for (const lane of held) holders.set(lane, id)
  return holders
}

describe('shareLanes', () => {
  it('gives every lane to one live instance, sizes differing by at most one', () => {
    const share = shareLanes({ lanes, live: ['b', 'a', 'c'], holders: new Map() })
    expect(Object.fromEntries(share)).toEqual({ a: [11, 12, 13], b: [14, 15], c: [16, 17] })
  })

  it('is the same whatever order the inputs come in', () => {
    const holders = new Map([
      [13, 'c'],
      [11, 'a'],
    ])
    const one = shareLanes({ lanes, live: ['a', 'b', 'c'], holders })
    const other = shareLanes({ lanes: [...lanes].reverse(), live: ['c', 'a', 'b'], holders })
    expect(other).toEqual(one)
  })

  it('moves only the lanes a newcomer takes when an instance joins', () => {
    const two = shareLanes({ lanes, live: ['a', 'b'], holders: new Map() })
    const three = shareLanes({ lanes, live: ['a', 'b', 'c'], holders: holdersOf(two) })
    expect(three.get('c')).toHaveLength(2)
    expect(moves(two, three)).toBe(2)
    expect([...three.values()].map((held) => held.length).sort()).toEqual([2, 2, 3])
  })

  it('moves only the departed instance lanes when one leaves', () => {
    const three = shareLanes({ lanes, live: ['a', 'b', 'c'], holders: new Map() })
    const two = shareLanes({ lanes, live: ['a', 'c'], holders: holdersOf(three) })
    expect(moves(three, two)).toBe(three.get('b')?.length)
    expect(two.get('a')).toEqual(expect.arrayContaining(three.get('a') ?? []))
    expect(two.get('c')).toEqual(expect.arrayContaining(three.get('c') ?? []))
  })

  it('deals the lanes of an instance that is no longer live, and unheld ones', () => {
    const holders = new Map([
      [11, 'gone'],
      [12, 'gone'],
      [13, 'a'],
    ])
    const share = shareLanes({ lanes: [11, 12, 13, 14], live: ['a', 'b'], holders })
    expect(Object.fromEntries(share)).toEqual({ a: [11, 13], b: [12, 14] })
  })

  it('takes surplus from the instance holding too many, keeping its lowest lanes', () => {
    const holders = new Map(lanes.map((lane) => [lane, 'a'] as const))
    const share = shareLanes({ lanes, live: ['a', 'b'], holders })
    expect(Object.fromEntries(share)).toEqual({ a: [11, 12, 13, 14], b: [15, 16, 17] })
  })

  it('gives nothing when there are no lanes, and everything to a lone instance', () => {
    expect(shareLanes({ lanes: [], live: ['a', 'b'], holders: new Map() })).toEqual(
      new Map([
        ['a', []],
        ['b', []],
      ]),
    )
    expect(shareLanes({ lanes, live: ['a'], holders: new Map() }).get('a')).toEqual(lanes)
  })
})
