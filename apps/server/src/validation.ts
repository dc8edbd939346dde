import { describeIssues, type FieldIssue } from '@sfp/schemas'
import type { z } from 'zod'
import { ValidationFailed } from './errors.js'

export type InputPart = 'body' | 'query' | 'params'

/**
 * Validate one part of a request with a shared schema. A failure answers 400 naming each field and
 * why, before anything is changed.
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  part: InputPart,
): z.output<S> {
  const result = schema.safeParse(value ?? {})
  if (result.success) return result.data
  const { message, fields } = describeIssues(result.error.issues, part)
  throw Object.assign(new ValidationFailed(message), { fields })
}

export function validationFields(error: unknown): FieldIssue[] | undefined {
  const fields = (error as { fields?: unknown }).fields
  return Array.isArray(fields) ? (fields as FieldIssue[]) : undefined
}
