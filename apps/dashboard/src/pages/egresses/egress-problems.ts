import {
  type EgressKind,
  type EgressUrlProblemCode,
  type EgressView,
  type FieldIssue,
  isEgressUrlProblem,
  parseEgressUrl,
} from '@sfp/schemas'
import { ApiError } from '../../api/api-error.js'
import type { MessageKey } from '../../i18n/catalog.js'

/** The server's longest label (packages/schemas/src/egresses.ts `LABEL_MAX`). */
export const EGRESS_LABEL_MAX = 100

/** The fields of the add form, by the name the server gives them in a 400. */
export const FORM_FIELDS = {
  url: 'egresses.field.url',
  label: 'egresses.field.label',
  localAddress: 'egresses.field.localAddress',
} as const satisfies Record<string, MessageKey>
export type FormField = keyof typeof FORM_FIELDS

export function isFormField(field: string): field is FormField {
  return Object.hasOwn(FORM_FIELDS, field)
}

/** The field issues of a failed call when it is a validation error, else none. */
export function validationIssues(error: unknown): readonly FieldIssue[] {
  return error instanceof ApiError && error.code === 'validation_error' ? error.fields : []
}

/**
 * What the URL field holds, without the URL itself (it may carry a proxy password): nothing, a
 * problem, `direct` or a proxy of some kind.
 */
export type UrlShape =
  | { kind: 'empty' }
  /** The parser's problem code, worded like the server's `egress_url` rule (field-issues.ts). */
  | { kind: 'invalid'; problem: EgressUrlProblemCode }
  | { kind: 'direct' }
  | { kind: 'proxy'; proxyKind: Exclude<EgressKind, 'direct'>; withPassword: boolean }

export function describeUrl(value: string): UrlShape {
  if (value.trim() === '') return { kind: 'empty' }
  const parsed = parseEgressUrl(value)
  if (isEgressUrlProblem(parsed)) return { kind: 'invalid', problem: parsed.problem }
  if (parsed.kind === 'direct') return { kind: 'direct' }
  return { kind: 'proxy', proxyKind: parsed.kind, withPassword: parsed.password !== null }
}

/**
 * The built-in direct egress: the `direct` one with the lowest id (the server makes it first and
 * it cannot be deleted). Null when the list has no direct egress.
 */
export function builtinEgressId(egresses: readonly EgressView[]): number | null {
  let builtin: number | null = null
  for (const egress of egresses) {
    if (egress.kind === 'direct' && (builtin === null || egress.id < builtin)) builtin = egress.id
  }
  return builtin
}
