import { describe, expect, it } from 'vitest'
import { createBoundedLabel } from '../../src/metrics/bounded-label.js'

describe('createBoundedLabel', () => {
  it('keeps the first values seen and reports every later new one as "other"', () => {
    const label = createBoundedLabel({ maxValues: 2, maxLength: 50 })
    expect(['a', 'b', 'c', 'a', 'b', 'd'].map(label)).toEqual([
      'a',
      'b',
      'other',
      'a',
      'b',
      'other',
    ])
  })

  it('cuts long values, so two that share a prefix share a label', () => {
    const label = createBoundedLabel({ maxValues: 10, maxLength: 5 })
    expect([label('abcdefgh'), label('abcdexyz')]).toEqual(['abcde', 'abcde'])
  })

  it('names a missing value, and never carries a key-like string', () => {
    const label = createBoundedLabel({ maxValues: 10, maxLength: 100 })
    expect(label(null)).toBe('unknown')
    expect(label('')).toBe('unknown')
    expect(label('sk-abcdefghijklmnop1234')).toBe('sk-…')
    expect(label('model sk-abcdefghijkl rest')).toBe('model sk-… rest')
  })
})
