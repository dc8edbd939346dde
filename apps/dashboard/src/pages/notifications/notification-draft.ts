import {
  type CreateNotificationBody,
  type FieldIssue,
  NOTIFICATION_EVENTS,
  type NotificationEvent,
  type NotificationKind,
  type NotificationLanguage,
  type NotificationView,
  type PatchNotificationBody,
} from '@sfp/schemas'
import { ApiError } from '../../api/api-error.js'
import type { MessageKey, MessageValues } from '../../i18n/catalog.js'

/** The server's limits (packages/schemas/src/notifications.ts), checked here first. */
export const TARGET_URL_MAX = 2048
export const TARGET_SECRET_MAX = 512
export const TARGET_CHAT_ID_MAX = 100
export const TARGET_LABEL_MAX = 100

/**
 * What the add form or the edit dialog holds. In an edit, an empty `url` or `secret` keeps the
 * stored one (the view never carries the secret and shows the URL masked, so neither is filled
 * in); `removeSecret` clears an optional signing secret.
 */
export interface TargetDraft {
  kind: NotificationKind
  label: string
  url: string
  secret: string
  removeSecret: boolean
  chatId: string
  events: readonly NotificationEvent[]
  language: NotificationLanguage
}

export type DraftField = 'url' | 'secret' | 'chatId' | 'events'
export interface Problem {
  key: MessageKey
  values?: MessageValues
}
export type DraftProblems = Partial<Record<DraftField, Problem>>

/** A new target: every event, Chinese messages. */
export function emptyDraft(kind: NotificationKind = 'dingtalk'): TargetDraft {
  return {
    kind,
    label: '',
    url: '',
    secret: '',
    removeSecret: false,
    chatId: '',
    events: NOTIFICATION_EVENTS,
    language: 'zh',
  }
}

/** An edit of `view`: its visible fields, and neither its URL nor (never sent) its secret. */
export function draftOf(view: NotificationView): TargetDraft {
  return {
    kind: view.kind,
    label: view.label ?? '',
    url: '',
    secret: '',
    removeSecret: false,
    chatId: view.chatId ?? '',
    events: view.events,
    language: view.language,
  }
}

/** Whether the kind takes a secret, and whether it must have one (Telegram's bot token). */
export function secretOf(kind: NotificationKind): 'none' | 'optional' | 'required' {
  if (kind === 'wecom') return 'none'
  return kind === 'telegram' ? 'required' : 'optional'
}

/** Telegram's URL only names another Bot API server; every other kind is its URL. */
export function urlRequired(kind: NotificationKind): boolean {
  return kind !== 'telegram'
}

/**
 * The draft's problems in the page's words, before anything is sent; the same rules as the
 * server's schema, so a draft without problems is refused only for what the server alone knows.
 * `editing`: empty URL and secret mean "keep".
 */
export function draftProblems(draft: TargetDraft, editing: boolean): DraftProblems {
  const problems: DraftProblems = {}
  const url = draft.url.trim()
  if (url === '') {
    if (!editing && urlRequired(draft.kind))
      problems.url = { key: 'notifications.problem.urlRequired' }
  } else {
    const urlProblem = problemOfUrl(url)
    if (urlProblem) problems.url = urlProblem
  }
  const secret = draft.secret.trim()
  const secretKind = secretOf(draft.kind)
  if (secretKind !== 'none') {
    if (secret === '') {
      if (!editing && secretKind === 'required')
        problems.secret = { key: 'notifications.problem.tokenRequired' }
    } else if (secret.length > TARGET_SECRET_MAX) {
      problems.secret = { key: 'notifications.problem.tooLong', values: { max: TARGET_SECRET_MAX } }
    } else if (/[\s/?#]/.test(secret)) {
      problems.secret = { key: 'notifications.problem.secretChars' }
    }
  }
  if (draft.kind === 'telegram') {
    const chatId = draft.chatId.trim()
    if (chatId === '') problems.chatId = { key: 'notifications.problem.chatIdRequired' }
    else if (chatId.length > TARGET_CHAT_ID_MAX)
      problems.chatId = {
        key: 'notifications.problem.tooLong',
        values: { max: TARGET_CHAT_ID_MAX },
      }
  }
  if (draft.events.length === 0) problems.events = { key: 'notifications.problem.noEvents' }
  return problems
}

function problemOfUrl(url: string): Problem | null {
  if (url.length > TARGET_URL_MAX)
    return { key: 'notifications.problem.tooLong', values: { max: TARGET_URL_MAX } }
  // The list shows URLs masked; one pasted back would be stored as the URL itself.
  if (url.includes('***')) return { key: 'notifications.problem.urlMasked' }
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return { key: 'notifications.problem.urlInvalid' }
  }
  return parsed.protocol === 'http:' || parsed.protocol === 'https:'
    ? null
    : { key: 'notifications.problem.urlInvalid' }
}

export function hasProblems(problems: DraftProblems): boolean {
  return Object.keys(problems).length > 0
}

/** Events in catalog order, as the server stores them. */
function inCatalogOrder(events: readonly NotificationEvent[]): NotificationEvent[] {
  return NOTIFICATION_EVENTS.filter((event) => events.includes(event))
}

/** The POST body of a checked draft: only the fields its kind has, empty optional ones left out. */
export function createBody(draft: TargetDraft): CreateNotificationBody {
  const label = draft.label.trim()
  const url = draft.url.trim()
  const secret = draft.secret.trim()
  const common = {
    ...(label === '' ? {} : { label }),
    events: inCatalogOrder(draft.events),
    language: draft.language,
  }
  switch (draft.kind) {
    case 'webhook':
    case 'dingtalk':
    case 'feishu':
      return { kind: draft.kind, url, ...(secret === '' ? {} : { secret }), ...common }
    case 'wecom':
      return { kind: 'wecom', url, ...common }
    case 'telegram':
      return {
        kind: 'telegram',
        ...(url === '' ? {} : { url }),
        secret,
        chatId: draft.chatId.trim(),
        ...common,
      }
  }
}

/** The PATCH body of a checked edit: what changed only; empty when nothing did. */
export function patchBody(draft: TargetDraft, current: NotificationView): PatchNotificationBody {
  const body: PatchNotificationBody = {}
  const label = draft.label.trim()
  if (label !== (current.label ?? '')) body.label = label === '' ? null : label
  const url = draft.url.trim()
  if (url !== '') body.url = url
  const secret = draft.secret.trim()
  if (secretOf(current.kind) === 'optional' && draft.removeSecret) body.secret = null
  else if (secret !== '' && secretOf(current.kind) !== 'none') body.secret = secret
  const chatId = draft.chatId.trim()
  if (current.kind === 'telegram' && chatId !== (current.chatId ?? '')) body.chatId = chatId
  const events = inCatalogOrder(draft.events)
  if (events.join() !== inCatalogOrder(current.events).join()) body.events = events
  if (draft.language !== current.language) body.language = draft.language
  return body
}

/** The field issues of a refused call when it is a validation error, else none. */
export function validationIssues(error: unknown): readonly FieldIssue[] {
  return error instanceof ApiError && error.code === 'validation_error' ? error.fields : []
}
