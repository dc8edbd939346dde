import { describe, expect, it } from 'vitest'
import { changeAdminPasswordBodySchema } from '../src/admin-password.js'
import { createEgressBodySchema, parseEgressUrl, patchEgressBodySchema } from '../src/egresses.js'
import { describeIssues, type FieldRule } from '../src/errors.js'
import { addKeysBodySchema, listKeysQuerySchema, patchKeyBodySchema } from '../src/keys.js'
import { listLogsQuerySchema, MAX_TIME_MS } from '../src/logs.js'

interface Parser {
  safeParse(value: unknown): {
    success: boolean
    error?: { issues: Parameters<typeof describeIssues>[0] }
  }
}

/** The `{ field, rule }` of every issue of a refused input. */
function rulesOf(schema: Parser, value: unknown, part = 'body') {
  const result = schema.safeParse(value)
  expect(result.success).toBe(false)
  return describeIssues(result.error?.issues ?? [], part).fields.map(({ field, rule }) => ({
    field,
    rule,
  }))
}

describe('our own refinements carry a rule code, never `other`', () => {
  const cases: [string, Parser, unknown, string, { field: string; rule: FieldRule }[]][] = [
    [
      'a key body with neither key field',
      addKeysBodySchema,
      { label: 'x' },
      'body',
      [{ field: 'body', rule: { kind: 'one_of', fields: ['api_key', 'api_keys'] } }],
    ],
    [
      'a key body with both key fields',
      addKeysBodySchema,
      { api_key: 'sk-one', api_keys: 'sk-two' },
      'body',
      [{ field: 'body', rule: { kind: 'one_of', fields: ['api_key', 'api_keys'] } }],
    ],
    [
      'an empty key patch',
      patchKeyBodySchema,
      {},
      'body',
      [{ field: 'body', rule: { kind: 'one_of', fields: ['enabled', 'label', 'balance'] } }],
    ],
    [
      'an empty egress patch',
      patchEgressBodySchema,
      {},
      'body',
      [{ field: 'body', rule: { kind: 'one_of', fields: ['enabled', 'label'] } }],
    ],
    [
      'a new admin password equal to the current one',
      changeAdminPasswordBodySchema,
      { currentPassword: 'same-password', newPassword: 'same-password' },
      'body',
      [{ field: 'body.newPassword', rule: { kind: 'differs_from', field: 'currentPassword' } }],
    ],
    [
      'an egress URL with another scheme',
      createEgressBodySchema,
      { url: 'ftp://proxy.example:21' },
      'body',
      [{ field: 'body.url', rule: { kind: 'egress_url', problem: 'scheme' } }],
    ],
    [
      'a local address that is no IP address',
      createEgressBodySchema,
      { url: 'direct', localAddress: 'eth0' },
      'body',
      [{ field: 'body.localAddress', rule: { kind: 'local_address' } }],
    ],
    [
      'log filters: an id, a cursor, a time, a status and a limit out of their rules',
      listLogsQuerySchema,
      { keyId: '0', cursor: 'next', from: 'yesterday', status: '7', limit: '501' },
      'query',
      [
        { field: 'query.cursor', rule: { kind: 'cursor' } },
        { field: 'query.limit', rule: { kind: 'decimal_integer', minimum: 1, maximum: 500 } },
        { field: 'query.keyId', rule: { kind: 'id' } },
        { field: 'query.status', rule: { kind: 'status_filter' } },
        { field: 'query.from', rule: { kind: 'time', maximum: MAX_TIME_MS } },
      ],
    ],
    [
      'a key list offset in another spelling',
      listKeysQuerySchema,
      { offset: '0x10' },
      'query',
      [
        {
          field: 'query.offset',
          rule: { kind: 'decimal_integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
        },
      ],
    ],
  ]

  it.each(cases)('%s', (_name, schema, value, part, expected) => {
    expect(rulesOf(schema, value, part)).toEqual(expected)
  })

  it('keeps the English reason beside the rule for scripts', () => {
    const result = patchKeyBodySchema.safeParse({})
    expect(describeIssues(result.error?.issues ?? [], 'body').fields).toEqual([
      { field: 'body', reason: 'give enabled, label or balance', rule: expect.any(Object) },
    ])
  })

  it('still reads the bodies and filters it refuses otherwise', () => {
    expect(addKeysBodySchema.parse({ api_key: 'sk-one', label: 'a' })).toEqual({
      api_key: 'sk-one',
      label: 'a',
    })
    expect(addKeysBodySchema.parse({ api_keys: 'sk-one sk-two' })).toEqual({
      api_keys: 'sk-one sk-two',
    })
    expect(rulesOf(addKeysBodySchema, { api_key: 'sk-one', extra: 1 })).toEqual([
      { field: 'body', rule: { kind: 'unrecognized_keys', count: 1 } },
    ])
    const query = listLogsQuerySchema.parse({
      status: '5xx',
      from: '2026-01-01T00:00:00Z',
      to: '5',
    })
    expect(query).toMatchObject({ status: '5xx', from: Date.parse('2026-01-01T00:00:00Z'), to: 5 })
    expect(listLogsQuerySchema.parse({ status: '429' }).status).toBe(429)
  })
})

describe('egress URL problems', () => {
  it.each([
    ['', 'empty'],
    ['x'.repeat(3000), 'too_long'],
    ['http://a b:1', 'spaces'],
    ['proxy.example:8080', 'not_url'],
    ['ftp://proxy.example:21', 'scheme'],
    ['http://proxy.example', 'shape'],
    ['http://proxy.example:70000', 'port'],
    ['http://-bad-:8080', 'host'],
    ['http://%zz:pw@proxy.example:8080', 'encoding'],
    ['http://:pw@proxy.example:8080', 'user_empty'],
    [`http://${'u'.repeat(300)}:pw@proxy.example:8080`, 'credentials_long'],
  ])('%j is refused as %s', (url, problem) => {
    expect(parseEgressUrl(url)).toMatchObject({ ok: false, problem })
  })
})
