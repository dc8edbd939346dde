import { describe, expect, it } from 'vitest'
import {
  MAX_REPORTED_INVALID,
  maskEntry,
  parseKeyList,
  parseSingleKey,
} from '../src/import-parser.js'

const A = 'sk-aaaaaaaaaaaaaaaaaaaaaaaa'
const B = 'sk-bbbbbbbbbbbbbbbbbbbbbbbb'
const C = 'sk-cccccccccccccccccccccccc'
const TOO_SHORT = { code: 'too_short', reason: 'too short (at least 8 characters)' } as const
const TOO_LONG = { code: 'too_long', reason: 'too long (at most 256 characters)' } as const
const BAD_CHARACTERS = {
  code: 'invalid_characters',
  reason: 'invalid characters (printable ASCII only, no spaces)',
} as const

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
      { input: 'k…k', ...TOO_SHORT },
      { input: 'kkkkkk…kkkk', ...TOO_LONG },
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
    expect(invalid).toEqual([{ input: maskEntry(entry), ...BAD_CHARACTERS }])
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
        ...TOO_SHORT,
      })),
    })
  })

  it('masks an invalid entry without ever showing more than the key mask would', () => {
    const long = `sk-${'z'.repeat(5000)}END!`
    const [entry] = parseKeyList(long).invalid
    expect(entry).toEqual({ input: 'sk-zzz…END!', ...TOO_LONG })
    // What is not printable ASCII shows as `?`: never half a surrogate pair or a control byte.
    expect(maskEntry('a😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀')).toBe('a?????…????')
    expect(maskEntry(`sk-\u0000\u200b${'x'.repeat(20)}`)).toBe('sk-??x…xxxx')
  })

  it(`lists at most ${MAX_REPORTED_INVALID} invalid entries and counts the rest`, () => {
    const text = Array.from({ length: MAX_REPORTED_INVALID + 5 }, (_, i) => `x${i}`).join(' ')
    const { invalid } = parseKeyList(text)
    expect(invalid).toHaveLength(MAX_REPORTED_INVALID + 1)
    expect(invalid.at(-1)).toEqual({
      input: '…',
      code: 'more_not_listed',
      reason: '5 more invalid entries not listed',
      count: 5,
    })
  })
})

describe('parseSingleKey (api_key: exactly one key)', () => {
  it('takes one key, trimmed of surrounding whitespace', () => {
    expect(parseSingleKey(` \t${A}\r\n\u3000`)).toEqual({ keys: [A], duplicates: 0, invalid: [] })
  })

  const ONE_KEY_ONLY = {
    code: 'invalid_characters',
    reason: 'one key only: no spaces, commas or semicolons (send a list as api_keys)',
  } as const
  it.each([
    ['a space', `${A} ${B}`, 'sk-aaa…bbbb'],
    ['a newline', `${A}\n${B}`, 'sk-aaa…bbbb'],
    ['a comma', `${A},${B}`, 'sk-aaa…bbbb'],
    ['a semicolon', `${A};${B}`, 'sk-aaa…bbbb'],
    ['a full-width comma', `${A}，${B}`, 'sk-aaa…bbbb'],
    ['a space between two short words', 'a b', '…'],
  ])('rejects a value with %s whole, adding nothing', (_, text, input) => {
    expect(parseSingleKey(text)).toEqual({
      keys: [],
      duplicates: 0,
      invalid: [{ input, ...ONE_KEY_ONLY }],
    })
  })

  it.each([
    ['empty', '', { input: '…', ...TOO_SHORT }],
    ['blank', '   ', { input: '…', ...TOO_SHORT }],
    ['too short', 'sk-abc', { input: 's…c', ...TOO_SHORT }],
    ['too long', `sk-${'z'.repeat(300)}`, { input: 'sk-zzz…zzzz', ...TOO_LONG }],
    ['not ASCII', 'sk-密钥密钥密钥密钥', { input: 's…?', ...BAD_CHARACTERS }],
  ])('rejects a key that is %s like any list entry', (_, text, entry) => {
    expect(parseSingleKey(text)).toEqual({ keys: [], duplicates: 0, invalid: [entry] })
  })
})
