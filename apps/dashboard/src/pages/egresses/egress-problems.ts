import {
  EGRESS_URL_MAX,
  type EgressKind,
  type EgressView,
  type FieldIssue,
  isEgressUrlProblem,
  parseEgressUrl,
} from '@sfp/schemas'
import { ApiError } from '../../api/api-error.js'
import type { MessageKey, MessageValues, Translate } from '../../i18n/catalog.js'

/** The server's longest label (packages/schemas/src/egresses.ts `LABEL_MAX`). */
export const EGRESS_LABEL_MAX = 100

interface KnownProblem {
  key: MessageKey
  values?: MessageValues
}

/**
 * The reasons `parseEgressUrl` and the create schema give (English, for API users), in the page
 * language. The same texts come back from the server in a 400's `fields`; a reason not listed
 * here (a newer server) is shown as the server wrote it.
 */
const KNOWN_REASONS: ReadonlyMap<string, KnownProblem> = new Map<string, KnownProblem>([
  ['give "direct" or a proxy URL', { key: 'egresses.problem.empty' }],
  [
    `must be at most ${EGRESS_URL_MAX} characters`,
    { key: 'egresses.problem.tooLong', values: { max: EGRESS_URL_MAX } },
  ],
  ['must not contain spaces or control characters', { key: 'egresses.problem.spaces' }],
  ['must be "direct" or a URL such as socks5://host:1080', { key: 'egresses.problem.notUrl' }],
  ['the scheme must be http, https, socks5 or socks5h', { key: 'egresses.problem.scheme' }],
  [
    'must be scheme://[user:password@]host:port with the port named and nothing after it',
    { key: 'egresses.problem.shape' },
  ],
  ['the port must be between 1 and 65535', { key: 'egresses.problem.port' }],
  ['the host is not a valid name or IP address', { key: 'egresses.problem.host' }],
  [
    'the user name or password is not validly percent-encoded',
    { key: 'egresses.problem.encoding' },
  ],
  ['the user name is empty', { key: 'egresses.problem.userEmpty' }],
  [
    'the user name and password must be at most 255 characters',
    { key: 'egresses.problem.credentialsLong' },
  ],
  ['must be an IPv4 or IPv6 address of this host', { key: 'egresses.problem.localAddress' }],
  [
    `must be at most ${EGRESS_LABEL_MAX} characters`,
    { key: 'egresses.problem.labelTooLong', values: { max: EGRESS_LABEL_MAX } },
  ],
])

/** A reason in the page language when it is a known one, else as given. */
export function translateReason(t: Translate, reason: string): string {
  const known = KNOWN_REASONS.get(reason)
  return known ? t(known.key, known.values) : reason
}

export function isKnownReason(reason: string): boolean {
  return KNOWN_REASONS.has(reason)
}

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
  | { kind: 'invalid'; reason: string }
  | { kind: 'direct' }
  | { kind: 'proxy'; proxyKind: Exclude<EgressKind, 'direct'>; withPassword: boolean }

export function describeUrl(value: string): UrlShape {
  if (value.trim() === '') return { kind: 'empty' }
  const parsed = parseEgressUrl(value)
  if (isEgressUrlProblem(parsed)) return { kind: 'invalid', reason: parsed.reason }
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
