import { describe, expect, it } from 'vitest'
import { MAX_REPORTED_INVALID, maskEntry, parseKeyList } from '../src/import-parser.js'

const A = 'sk-aaaaaaaaaaaaaaaaaaaaaaaa'
const B = 'sk-bbbbbbbbbbbbbbbbbbbbbbbb'
const C = 'sk-cccccccccccccccccccccccc'

describe('parseKeyList', () => {
  it.each([
    ['newlines', `${A}\n${B}\r\n${C}`],
    ['spaces and tabs', `${A} ${B}\t${C}`],
    ['commas', `${A},${B},${C}`],
    ['semicolons', `${A};${B};${C}`],
    ['a mix with blanks around', `\n\n  ${A} ,; ${B}\n\n,,;;\n${C}  \n`],
    ['full-width commas, semicolons and the enumeration comma', `${A}，${B}；${C}`],
    ['ideographic and no-break spaces', `${A}\u3000${B}\u00a0${C}`],
  ])('splits on %s', (_, text) => {
    expect(parseKeyList(text)).toEqual({ keys: [A, B, C], duplicates: 0, invalid: [] })
  })

  it('returns nothing for blank input', () => {
    expect(parseKeyList('  \n\t ,;  ')).toEqual({ keys: [], duplicates: 0, invalid: [] })
  })

  it('counts repeats within the list and keeps the first occurrence', () => {
    expect(parseKeyList(`${A}\n${B}\n${A}\n${A},${B}`)).toEqual({
      keys: [A, B],
      duplicates: 3,
      invalid: [],
    })
  })

  it('accepts 8 and 256 characters, rejects 7 and 257', () => {
    const result = parseKeyList(
      ['k'.repeat(8), 'k'.repeat(256), 'k'.repeat(7), 'k'.repeat(257)].join(' '),
    )
    expect(result.keys).toEqual(['k'.repeat(8), 'k'.repeat(256)])
    expect(result.invalid).toEqual([
      { input: 'k…k', reason: 'too short (at least 8 characters)' },
      { input: 'kkkkkk…kkkk', reason: 'too long (at most 256 characters)' },
    ])
  })

  it.each([
    ['non-ASCII letters', 'sk-密钥密钥密钥密钥密钥'],
    ['an emoji', 'sk-abcdefgh😀ijkl'],
    ['a zero-width space', 'sk-abcd\u200befghijkl'],
    ['a control character', 'sk-abcd\u0007efghijkl'],
  ])('rejects %s as invalid characters', (_, entry) => {
    const { keys, invalid } = parseKeyList(entry)
    expect(keys).toEqual([])
    expect(invalid).toEqual([
      { input: maskEntry(entry), reason: 'invalid characters (printable ASCII only, no spaces)' },
    ])
    expect(invalid[0]?.input).not.toBe(entry)
  })

  it.each([
    '<script>alert(1)</script>',
    '"}]}{"$ne":null}',
    '../../../etc/passwd',
    "sk-x'--OR--'1'='1",
  ])('keeps the hostile but printable %s as an opaque key', (hostile) => {
    expect(parseKeyList(hostile)).toEqual({ keys: [hostile], duplicates: 0, invalid: [] })
  })

  it('splits what separators break apart and judges each piece', () => {
    expect(parseKeyList("sk-x');DROP TABLE upstream_keys;--")).toEqual({
      keys: ['upstream_keys'],
      duplicates: 0,
      invalid: ["sk-x')", 'DROP', 'TABLE', '--'].map((piece) => ({
        input: maskEntry(piece),
        reason: 'too short (at least 8 characters)',
      })),
    })
  })

  it('masks an invalid entry without ever showing more than the key mask would', () => {
    const long = `sk-${'z'.repeat(5000)}END!`
    const [entry] = parseKeyList(long).invalid
    expect(entry).toEqual({ input: 'sk-zzz…END!', reason: 'too long (at most 256 characters)' })
    // What is not printable ASCII shows as `?`: never half a surrogate pair or a control byte.
    expect(maskEntry('a😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀')).toBe('a?????…????')
    expect(maskEntry(`sk-\u0000\u200b${'x'.repeat(20)}`)).toBe('sk-??x…xxxx')
  })

  it(`lists at most ${MAX_REPORTED_INVALID} invalid entries and counts the rest`, () => {
    const text = Array.from({ length: MAX_REPORTED_INVALID + 5 }, (_, i) => `x${i}`).join(' ')
    const { invalid } = parseKeyList(text)
    expect(invalid).toHaveLength(MAX_REPORTED_INVALID + 1)
    expect(invalid.at(-1)).toEqual({ input: '…', reason: '5 more invalid entries not listed' })
  })
})
