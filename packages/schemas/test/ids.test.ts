import { describe, expect, it } from 'vitest'
import type { z } from 'zod'
import { clientKeyIdParamsSchema } from '../src/client-keys.js'
import { egressIdParamsSchema } from '../src/egresses.js'
import { describeIssues } from '../src/errors.js'
import { decimalId, decimalInteger } from '../src/ids.js'
import { listKeyEventsQuerySchema } from '../src/key-events.js'
import { keyIdParamsSchema, listKeysQuerySchema } from '../src/keys.js'
import { listLogsQuerySchema, MAX_TIME_MS, statsQuerySchema } from '../src/logs.js'

/**
 * Texts that `Number()` / `z.coerce.number()` read as a number (or that a lenient parser might),
 * none of which is the one decimal spelling of an integer. Each is put in place of a valid `1`/`10`.
 */
const NOT_DECIMAL = [
  '0x10',
  '0X10',
  '0o1',
  '0b1',
  '1e1',
  '1E1',
  '+1',
  ' 1',
  '1 ',
  '\t1',
  '1\n',
  '1.0',
  '1.',
  '.5',
  '1.5',
  '-1',
  '-0',
  '１', // full-width digit one
  '١', // Arabic-Indic digit one
  '1_0',
  '1,0',
  '01',
  '00',
  '',
  'Infinity',
  'NaN',
  '9007199254740992', // Number.MAX_SAFE_INTEGER + 1
  '9007199254740993', // rounds to MAX_SAFE_INTEGER + 1 as a Number
  '99999999999999999999',
  '1'.repeat(400), // Infinity as a Number
] as const

describe('decimalInteger', () => {
  const schema = decimalInteger({ min: 0, max: Number.MAX_SAFE_INTEGER })

  it('reads canonical decimal digits, up to Number.MAX_SAFE_INTEGER', () => {
    expect(schema.parse('0')).toBe(0)
    expect(schema.parse('10')).toBe(10)
    expect(schema.parse('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER)
  })

  it.each(NOT_DECIMAL)('refuses %j with one issue naming the range', (text) => {
    const result = schema.safeParse(text)
    expect(result.success).toBe(false)
    expect(result.error?.issues.map((issue) => issue.message)).toEqual([
      'must be a decimal integer from 0 to 9007199254740991',
    ])
  })

  it.each([[1], [['1']], [null], [true], [{}]])('refuses the non-string %j', (value) => {
    expect(schema.safeParse(value).success).toBe(false)
  })

  it('keeps to its range and uses the given reason', () => {
    const cursor = decimalInteger({
      min: 1,
      max: 500,
      refusal: { message: 'must be a cursor', rule: { kind: 'cursor' } },
    })
    expect(cursor.parse('1')).toBe(1)
    expect(cursor.parse('500')).toBe(500)
    for (const text of ['0', '501']) {
      const issues = cursor.safeParse(text).error?.issues ?? []
      expect(describeIssues(issues).fields).toEqual([
        { field: '(body)', reason: 'must be a cursor', rule: { kind: 'cursor' } },
      ])
    }
  })

  it('refuses to be built with a range past the safe integers', () => {
    expect(() => decimalInteger({ min: 0, max: Number.MAX_SAFE_INTEGER + 1 })).toThrow(RangeError)
    expect(() => decimalInteger({ min: -1, max: 1 })).toThrow(RangeError)
    expect(() => decimalInteger({ min: 2, max: 1 })).toThrow(RangeError)
  })
})

describe('decimalId', () => {
  it('reads 1 to Number.MAX_SAFE_INTEGER and refuses 0', () => {
    expect(decimalId('an id').parse('4')).toBe(4)
    expect(decimalId('an id').parse('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER)
    expect(decimalId('an id').safeParse('0').error?.issues[0]?.message).toBe('must be an id')
  })
})

/**
 * Every number the admin API reads from a path or a query: field, its valid text and what that
 * reads as. Each must refuse every text of `NOT_DECIMAL` (for `status`, built around `100`: `0x100`,
 * `100e1`, `+100`, `100.0`...) with one issue on its own field.
 */
const NUMERIC_INPUTS: [string, z.ZodType, string, string, unknown][] = [
  ['api-keys :id', keyIdParamsSchema, 'id', '1', 1],
  ['egresses :id', egressIdParamsSchema, 'id', '1', 1],
  ['client-keys :id', clientKeyIdParamsSchema, 'id', '1', 1],
  ['api-keys ?limit', listKeysQuerySchema, 'limit', '1', 1],
  ['api-keys ?offset', listKeysQuerySchema, 'offset', '1', 1],
  ['key-events ?keyId', listKeyEventsQuerySchema, 'keyId', '1', 1],
  ['key-events ?limit', listKeyEventsQuerySchema, 'limit', '1', 1],
  ['logs ?cursor', listLogsQuerySchema, 'cursor', '1', '1'],
  ['logs ?limit', listLogsQuerySchema, 'limit', '1', 1],
  ['logs ?keyId', listLogsQuerySchema, 'keyId', '1', 1],
  ['logs ?egressId', listLogsQuerySchema, 'egressId', '1', 1],
  ['logs ?status', listLogsQuerySchema, 'status', '100', 100],
  ['logs ?from', listLogsQuerySchema, 'from', '1', 1],
  ['logs ?to', listLogsQuerySchema, 'to', '1', 1],
  ['stats ?from', statsQuerySchema, 'from', '1', 1],
  ['stats ?to', statsQuerySchema, 'to', '1', 1],
  ['stats ?keyId', statsQuerySchema, 'keyId', '1', 1],
  ['stats ?egressId', statsQuerySchema, 'egressId', '1', 1],
]

describe.each(NUMERIC_INPUTS)('%s', (_, schema, field, valid, expected) => {
  it('reads its decimal text', () => {
    expect((schema.parse({ [field]: valid }) as Record<string, unknown>)[field]).toBe(expected)
  })

  it.each(NOT_DECIMAL)('refuses %j on its own field', (text) => {
    const result = schema.safeParse({ [field]: text.replace('1', valid) })
    expect(result.success).toBe(false)
    expect(result.error?.issues.map((issue) => issue.path)).toEqual([[field]])
  })

  it('refuses a repeated query key (an array)', () => {
    expect(schema.safeParse({ [field]: [valid, valid] }).success).toBe(false)
    expect(schema.safeParse({ [field]: [valid] }).success).toBe(false)
  })
})

describe('the ranges stay as they were', () => {
  it.each([
    [listKeysQuerySchema, 'limit', ['1', '100000'], ['0', '100001']],
    [listKeysQuerySchema, 'offset', ['0', '9007199254740991'], []],
    [listKeyEventsQuerySchema, 'limit', ['1', '500'], ['0', '501']],
    [listLogsQuerySchema, 'limit', ['1', '500'], ['0', '501']],
    [listLogsQuerySchema, 'cursor', ['0', '9007199254740991'], []],
    [listLogsQuerySchema, 'status', ['100', '599'], ['99', '600']],
    [statsQuerySchema, 'from', ['0', String(MAX_TIME_MS)], [String(MAX_TIME_MS + 1)]],
    [statsQuerySchema, 'keyId', ['1', '9007199254740991'], ['0']],
  ] as const)('%#: %s', (schema, field, good, bad) => {
    for (const text of good) expect(schema.safeParse({ [field]: text }).success).toBe(true)
    for (const text of bad) expect(schema.safeParse({ [field]: text }).success).toBe(false)
  })

  it('keeps the defaults and what the words and times read as', () => {
    expect(listKeysQuerySchema.parse({})).toEqual({ offset: 0 })
    expect(listKeyEventsQuerySchema.parse({})).toEqual({ limit: 50 })
    expect(listLogsQuerySchema.parse({ status: '5xx', cursor: '25' })).toEqual({
      limit: 50,
      status: '5xx',
      cursor: '25',
    })
    expect(statsQuerySchema.parse({ from: '2026-11-20T10:00:00+02:00' }).from).toBe(
      Date.parse('2026-11-20T08:00:00Z'),
    )
  })

  it('names what is wanted', () => {
    expect(listLogsQuerySchema.safeParse({ status: '0x1f7' }).error?.issues[0]?.message).toBe(
      'must be 2xx, 3xx, 4xx, 5xx, error or a status code from 100 to 599',
    )
    expect(statsQuerySchema.safeParse({ to: '1e12' }).error?.issues[0]?.message).toBe(
      'must be an ISO 8601 time or milliseconds since 1970 (a decimal integer from 0 to 8640000000000000)',
    )
    expect(listKeysQuerySchema.safeParse({ limit: '1.0' }).error?.issues[0]?.message).toBe(
      'must be a decimal integer from 1 to 100000',
    )
  })
})
