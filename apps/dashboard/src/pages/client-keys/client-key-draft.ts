import {
  CLIENT_KEY_LIMIT_FIELDS,
  type ClientKeyLimits,
  type ClientKeyView,
  type CreateClientKeyBody,
  clientKeyLimitsSchema,
  describeIssues,
  type PatchClientKeyBody,
} from '@sfp/schemas'
import { describeFieldIssue } from '../../i18n/field-issues.js'
import type { Message } from '../../i18n/messages/message.js'

export type LimitField = (typeof CLIENT_KEY_LIMIT_FIELDS)[number]

/**
 * The limits as the form holds them: text, one entry a line for the lists, `datetime-local` (the
 * reader's zone) for the expiry. An empty field is no limit (docs/behaviour.md §12).
 */
export type LimitsDraft = Record<LimitField, string>

/** What is wrong with a field, in both languages (the page shows its own). */
export type LimitProblems = Partial<Record<LimitField, Message>>

export function emptyLimitsDraft(): LimitsDraft {
  return {
    models: '',
    expiresAt: '',
    rpm: '',
    dailyRequests: '',
    dailyTokens: '',
    monthlySpendCny: '',
    allowedIps: '',
    note: '',
  }
}

/** The stored limits of a key as form text, so an untouched field reads as unchanged. */
export function limitsDraftOf(view: ClientKeyView): LimitsDraft {
  const number = (value: number | null) => (value === null ? '' : String(value))
  return {
    models: (view.models ?? []).join('\n'),
    expiresAt: view.expiresAt === null ? '' : toLocalInput(view.expiresAt),
    rpm: number(view.rpm),
    dailyRequests: number(view.dailyRequests),
    dailyTokens: number(view.dailyTokens),
    monthlySpendCny: number(view.monthlySpendCny),
    allowedIps: (view.allowedIps ?? []).join('\n'),
    note: view.note ?? '',
  }
}

/** An ISO time as a `datetime-local` value in the reader's zone (minutes, as the input shows). */
export function toLocalInput(iso: string): string {
  const time = new Date(iso)
  const two = (value: number) => String(value).padStart(2, '0')
  return `${time.getFullYear()}-${two(time.getMonth() + 1)}-${two(time.getDate())}T${two(
    time.getHours(),
  )}:${two(time.getMinutes())}`
}

const lines = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')

/** Form text to what the schema reads; `undefined` when the text cannot be read at all. */
function rawValue(field: LimitField, text: string): unknown {
  const trimmed = text.trim()
  if (trimmed === '') return null
  switch (field) {
    case 'models':
    case 'allowedIps':
      return lines(text)
    case 'expiresAt': {
      // `datetime-local` has no zone: `new Date` reads it in the reader's.
      const time = new Date(trimmed)
      return Number.isNaN(time.getTime()) ? undefined : time.toISOString()
    }
    case 'rpm':
    case 'dailyRequests':
    case 'dailyTokens':
    case 'monthlySpendCny':
      return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(trimmed) ? Number(trimmed) : undefined
    case 'note':
      return text
  }
}

const NOT_NUMBER: Message = { zh: '应为数字', en: 'must be a number' }
const NOT_TIME: Message = { zh: '应为日期和时间', en: 'must be a date and time' }

function lineProblem(field: LimitField, line: number): Message {
  return field === 'models'
    ? {
        zh: `第 ${line} 行：应为模型名或 Org/*（不含空格，* 只能在末尾）`,
        en: `line ${line}: must be a model name or Org/* (no spaces, * only at the end)`,
      }
    : {
        zh: `第 ${line} 行：应为 IPv4 或 IPv6 地址或 CIDR`,
        en: `line ${line}: must be an IPv4 or IPv6 address or CIDR`,
      }
}

/**
 * The draft read with the server's own schema (`clientKeyLimitsSchema` of `@sfp/schemas`), so a
 * draft without problems is refused only for what the server alone knows; lists come normalised.
 */
export function readLimits(draft: LimitsDraft): {
  limits: ClientKeyLimits
  problems: LimitProblems
} {
  const limits = {} as Record<LimitField, unknown>
  const problems: LimitProblems = {}
  for (const field of CLIENT_KEY_LIMIT_FIELDS) {
    const raw = rawValue(field, draft[field])
    if (raw === undefined) {
      problems[field] = field === 'expiresAt' ? NOT_TIME : NOT_NUMBER
      continue
    }
    const parsed = clientKeyLimitsSchema.shape[field].safeParse(raw)
    if (parsed.success) {
      limits[field] = parsed.data
      continue
    }
    const issue = parsed.error.issues[0]
    if (issue === undefined) continue
    const line = issue.path[0]
    if ((field === 'models' || field === 'allowedIps') && typeof line === 'number') {
      problems[field] = lineProblem(field, line + 1)
      continue
    }
    const [described] = describeIssues([issue], field).fields
    if (described !== undefined)
      problems[field] = {
        zh: describeFieldIssue('zh', described).reason,
        en: describeFieldIssue('en', described).reason,
      }
  }
  return { limits: limits as ClientKeyLimits, problems }
}

export function hasProblems(problems: LimitProblems): boolean {
  return Object.keys(problems).length > 0
}

/** The POST body: the name and the limits set; an empty field is left out (no limit). */
export function createBody(name: string, limits: ClientKeyLimits): CreateClientKeyBody {
  const body: CreateClientKeyBody = { name: name.trim() }
  for (const field of CLIENT_KEY_LIMIT_FIELDS) {
    if (limits[field] !== null) Object.assign(body, { [field]: limits[field] })
  }
  return body
}

/**
 * The PATCH body: the fields whose text changed from the key's own, a cleared one as null (no
 * limit); empty when nothing changed.
 */
export function patchBody(
  view: ClientKeyView,
  name: string,
  draft: LimitsDraft,
  limits: ClientKeyLimits,
): PatchClientKeyBody {
  const body: PatchClientKeyBody = {}
  if (name.trim() !== view.name) body.name = name.trim()
  const before = limitsDraftOf(view)
  for (const field of CLIENT_KEY_LIMIT_FIELDS) {
    if (draft[field].trim() !== before[field].trim())
      Object.assign(body, { [field]: limits[field] })
  }
  return body
}

/** Whether the key is past its expiry at `nowMs`. */
export function isExpired(view: ClientKeyView, nowMs: number): boolean {
  return view.expiresAt !== null && Date.parse(view.expiresAt) <= nowMs
}
