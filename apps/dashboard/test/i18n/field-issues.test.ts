import {
  addKeysBodySchema,
  bulkKeyActionBodySchema,
  changeAdminPasswordBodySchema,
  createClientKeyBodySchema,
  createEgressBodySchema,
  describeIssues,
  type IssueLike,
  listKeyEventsQuerySchema,
  listKeysQuerySchema,
  listLogsQuerySchema,
  patchEgressBodySchema,
  patchKeyBodySchema,
  statsQuerySchema,
} from '@sfp/schemas'
import { describe, expect, it } from 'vitest'
import { describeFieldIssue, FIELD_LABELS, fieldLabel } from '../../src/i18n/field-issues.js'

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
