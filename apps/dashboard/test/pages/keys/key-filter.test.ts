import { describe, expect, it } from 'vitest'
import { countKeyEntries, splitKeyEntries } from '../../../src/pages/keys/key-entries.js'
import { countByStatus, filterKeys, parseStatusFilter } from '../../../src/pages/keys/key-filter.js'
import { keyView } from '../../helpers/fixtures.js'

const keys = [
  keyView({ id: 1, status: 'active', label: 'Team A' }),
  keyView({ id: 2, status: 'cooling', maskedKey: 'sk-qqqq…zzzz' }),
  keyView({ id: 12, status: 'insufficient' }),
  keyView({ id: 3, status: 'active' }),
]

describe('filterKeys', () => {
  it('keeps only the chosen state', () => {
    expect(filterKeys(keys, { status: 'active', search: '' }).map((k) => k.id)).toEqual([1, 3])
    expect(filterKeys(keys, { status: 'all', search: '' })).toBe(keys)
  })

  it('searches labels, masked keys and ids', () => {
    expect(filterKeys(keys, { status: 'all', search: 'team a' }).map((k) => k.id)).toEqual([1])
    expect(filterKeys(keys, { status: 'all', search: 'QQQQ' }).map((k) => k.id)).toEqual([2])
    expect(filterKeys(keys, { status: 'all', search: '#12' }).map((k) => k.id)).toEqual([12])
    expect(filterKeys(keys, { status: 'cooling', search: 'team' })).toEqual([])
  })

  it('counts keys per state', () => {
    expect(countByStatus(keys)).toEqual({
      active: 2,
      cooling: 1,
      insufficient: 1,
      invalid: 0,
      error: 0,
      disabled: 0,
    })
  })

  it('reads the state from the URL, unknown meaning all', () => {
    expect(parseStatusFilter('disabled')).toBe('disabled')
    expect(parseStatusFilter('<script>')).toBe('all')
    expect(parseStatusFilter(null)).toBe('all')
  })
})

describe('key entries', () => {
  it('splits like the server does and counts repeats', () => {
    expect(splitKeyEntries(' a\r\nb,c;d  e ')).toEqual(['a', 'b', 'c', 'd', 'e'])
    expect(countKeyEntries('a a b')).toEqual({ count: 3, repeats: 1 })
  })

  it('splits on the full-width separators a Chinese keyboard types, as the server does', () => {
    expect(splitKeyEntries('a，b；c、d\u3000e')).toEqual(['a', 'b', 'c', 'd', 'e'])
    expect(countKeyEntries('k1，k2、k1')).toEqual({ count: 3, repeats: 1 })
  })
})
