import { describe, expect, it } from 'vitest'
import { labelIndexes, linePath, niceCeiling } from '../../../src/components/charts/chart-scale.js'

describe('chart scale', () => {
  it('rounds the axis top up to 1, 2 or 5 × 10ⁿ', () => {
    expect([0, 0.3, 1, 7, 12, 180, 501].map(niceCeiling)).toEqual([1, 0.5, 1, 10, 20, 200, 1000])
  })

  it('spreads axis labels evenly, first and last included', () => {
    expect(labelIndexes(288, 5)).toEqual([0, 72, 144, 215, 287])
    expect(labelIndexes(2, 5)).toEqual([0, 1])
  })

  it('breaks the line where values are missing', () => {
    expect(
      linePath(
        [1, 2, null, 4],
        (i) => i * 10,
        (v) => v,
      ),
    ).toBe('M0.0,1.0L10.0,2.0M30.0,4.0')
  })
})
