import {
  addKeysBodySchema,
  bulkKeyActionBodySchema,
  changeAdminPasswordBodySchema,
  createClientKeyBodySchema,
  createEgressBodySchema,
  describeIssues,
  type FieldRule,
  type IssueLike,
  listKeyEventsQuerySchema,
  listKeysQuerySchema,
  listLogsQuerySchema,
  patchEgressBodySchema,
  patchKeyBodySchema,
  statsQuerySchema,
} from '@sfp/schemas'
import { describe, expect, it } from 'vitest'
import {
  describeFieldIssue,
  FIELD_LABELS,
  fieldLabel,
  ruleText,
} from '../../src/i18n/field-issues.js'

/** The bodies and queries the admin API validates (apps/server/src/routes/api/manage). */
const ADMIN_INPUTS: readonly unknown[] = [
  addKeysBodySchema,
  bulkKeyActionBodySchema,
  changeAdminPasswordBodySchema,
  createClientKeyBodySchema,
  createEgressBodySchema,
  listKeyEventsQuerySchema,
  listKeysQuerySchema,
  listLogsQuerySchema,
  patchEgressBodySchema,
  patchKeyBodySchema,
  statsQuerySchema,
]

/** What the test needs of a zod schema (the dashboard has no zod of its own). */
interface Parser {
  safeParse(value: unknown): { success: true } | { success: false; error: { issues: IssueLike[] } }
}

/** The field names of an object schema, through the wrappers zod puts around one. */
function fieldNames(schema: unknown): string[] {
  const seen = schema as { shape?: Record<string, unknown>; def?: Record<string, unknown> }
  if (seen.shape) return Object.keys(seen.shape)
  const def = seen.def ?? {}
  for (const inner of [def.in, def.innerType, def.schema, def.left, def.right]) {
    if (inner) return [...fieldNames(inner), ...(def.right ? fieldNames(def.right) : [])]
  }
  for (const option of (def.options as unknown[] | undefined) ?? []) return fieldNames(option)
  return []
}

describe('validation errors in the reader’s language', () => {
  it('has words for every field the admin API validates', () => {
    const names = new Set(ADMIN_INPUTS.flatMap(fieldNames))
    expect(names.size).toBeGreaterThan(15)
    for (const name of names) {
      expect(FIELD_LABELS[name], name).toBeDefined()
      expect(FIELD_LABELS[name]?.zh, name).toMatch(/\p{Script=Han}/u)
    }
  })

  it('words the rules zod reports, with their bounds', () => {
    const issues = (schema: Parser, value: unknown) => {
      const result = schema.safeParse(value)
      if (result.success) throw new Error('expected a refusal')
      return describeIssues(result.error.issues, 'body').fields
    }
    const [tooLong] = issues(createClientKeyBodySchema, { name: 'x'.repeat(500) })
    expect(describeFieldIssue('zh', tooLong as never)).toEqual({
      field: '名称',
      reason: expect.stringMatching(/^最多 \d+ 个字符$/),
    })
    const [wrongType] = issues(patchKeyBodySchema, { enabled: 'no' })
    expect(describeFieldIssue('zh', wrongType as never)).toEqual({
      field: '启用',
      reason: '应为是或否（true / false）',
    })
    expect(describeFieldIssue('en', wrongType as never)).toEqual({
      field: 'enabled',
      reason: 'must be true or false',
    })
  })

  it('names an item of a list, and shows unknown names and own-words reasons as they are', () => {
    expect(fieldLabel('zh', 'body.ids.3')).toBe('编号列表 第 4 项')
    expect(fieldLabel('en', 'body.ids.3')).toBe('ids, item 4')
    expect(fieldLabel('zh', 'body.somethingNew')).toBe('somethingNew')
    expect(
      describeFieldIssue('zh', { field: 'query.limit', reason: 'must be a decimal integer' }),
    ).toEqual({ field: '条数', reason: 'must be a decimal integer' })
  })
})

/** One example of every rule but `other`: keyed by kind, so a new rule without one fails tsc. */
const RULES: { [Kind in Exclude<FieldRule['kind'], 'other'>]: Extract<FieldRule, { kind: Kind }> } =
  {
    too_small: { kind: 'too_small', minimum: 1, origin: 'string' },
    too_big: { kind: 'too_big', maximum: 100, origin: 'string' },
    invalid_type: { kind: 'invalid_type', expected: 'boolean' },
    invalid_format: { kind: 'invalid_format', format: 'datetime' },
    invalid_value: { kind: 'invalid_value' },
    unrecognized_keys: { kind: 'unrecognized_keys', count: 2 },
    decimal_integer: { kind: 'decimal_integer', minimum: 1, maximum: 500 },
    id: { kind: 'id' },
    cursor: { kind: 'cursor' },
    time: { kind: 'time', maximum: 8_640_000_000_000_000 },
    status_filter: { kind: 'status_filter' },
    one_of: { kind: 'one_of', fields: ['enabled', 'label'] },
    differs_from: { kind: 'differs_from', field: 'currentPassword' },
    local_address: { kind: 'local_address' },
    egress_url: { kind: 'egress_url', problem: 'port' },
  }

describe('the rules of our own refinements', () => {
  it('are worded in zh and en, Chinese in zh only', () => {
    for (const rule of Object.values(RULES)) {
      const zh = ruleText('zh', rule)
      const en = ruleText('en', rule)
      expect(zh, rule.kind).toMatch(/\p{Script=Han}/u)
      expect(en, rule.kind).toMatch(/[a-z]{3,}/)
      expect(en, rule.kind).not.toMatch(/\p{Script=Han}/u)
    }
  })

  it('replace the server’s English reason with the reader’s words', () => {
    const result = patchKeyBodySchema.safeParse({})
    if (result.success) throw new Error('expected a refusal')
    const [issue] = describeIssues(result.error.issues, 'body').fields
    expect(describeFieldIssue('zh', issue as never)).toEqual({
      field: '请求体',
      reason: '请提供启用、备注或余额',
    })
    expect(describeFieldIssue('en', issue as never)).toEqual({
      field: 'body',
      reason: 'give enabled, label or balance',
    })
  })

  it('word an egress URL problem as the add form does', () => {
    const result = createEgressBodySchema.safeParse({ url: 'http://proxy.example:70000' })
    if (result.success) throw new Error('expected a refusal')
    const [issue] = describeIssues(result.error.issues, 'body').fields
    expect(describeFieldIssue('zh', issue as never)).toEqual({
      field: '地址',
      reason: '端口应在 1 到 65535 之间。',
    })
  })

  it('word a new password equal to the current one', () => {
    const result = changeAdminPasswordBodySchema.safeParse({
      currentPassword: 'the-same-one',
      newPassword: 'the-same-one',
    })
    if (result.success) throw new Error('expected a refusal')
    const [issue] = describeIssues(result.error.issues, 'body').fields
    expect(describeFieldIssue('zh', issue as never)).toEqual({
      field: '新密码',
      reason: '不能与当前密码相同',
    })
  })
})
