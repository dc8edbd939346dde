import type {
  NotificationEvent,
  NotificationFailure,
  NotificationKind,
  NotificationView,
} from '@sfp/schemas'
import type { MessageKey, Translate } from '../../i18n/catalog.js'
import type { Formatters } from '../../i18n/format.js'
import type { DraftField } from './notification-draft.js'

export function kindName(t: Translate, kind: NotificationKind): string {
  return t(`notifications.kind.${kind}`)
}

export function eventName(t: Translate, event: NotificationEvent): string {
  return t(`notifications.event.${event}`)
}

/** The label, or `钉钉 #3`: toasts and buttons name a target without its URL. */
export function targetName(t: Translate, target: Pick<NotificationView, 'id' | 'kind' | 'label'>) {
  return target.label ?? t('notifications.name', { kind: kindName(t, target.kind), id: target.id })
}

/** A delivery failure in the page language; the platform's own words (`detail`) as sent. */
export function failureText(
  t: Translate,
  format: Formatters,
  failure: NotificationFailure,
): string {
  switch (failure.code) {
    case 'http_status':
      return t('notifications.failure.http_status', { status: failure.params.status })
    case 'platform_error': {
      const { status, platformCode, detail } = failure.params
      const refused =
        platformCode === null
          ? t('notifications.failure.platform_error_no_code', { status })
          : t('notifications.failure.platform_error', { status, platformCode })
      return detail ? t('notifications.failure.detail', { failure: refused, detail }) : refused
    }
    case 'unreadable_answer':
      return t('notifications.failure.unreadable_answer', { status: failure.params.status })
    case 'timeout':
      return t('notifications.failure.timeout', {
        duration: format.duration(failure.params.timeoutMs),
      })
    case 'network_error':
      return t('notifications.failure.network_error', { errorCode: failure.params.errorCode })
    case 'closed':
      return t('notifications.failure.closed')
  }
}

/** The URL field's label and hint for a kind (Telegram's URL is only its Bot API server). */
export function urlWords(kind: NotificationKind): { label: MessageKey; hint: MessageKey } {
  switch (kind) {
    case 'webhook':
      return { label: 'notifications.field.webhookUrl', hint: 'notifications.hint.webhookUrl' }
    case 'dingtalk':
      return { label: 'notifications.field.robotUrl', hint: 'notifications.hint.dingtalkUrl' }
    case 'feishu':
      return { label: 'notifications.field.robotUrl', hint: 'notifications.hint.feishuUrl' }
    case 'wecom':
      return { label: 'notifications.field.robotUrl', hint: 'notifications.hint.wecomUrl' }
    case 'telegram':
      return { label: 'notifications.field.apiBase', hint: 'notifications.hint.apiBase' }
  }
}

/** The secret field's label and hint; null for WeCom, whose URL is its only secret. */
export function secretWords(
  kind: NotificationKind,
): { label: MessageKey; hint: MessageKey } | null {
  switch (kind) {
    case 'webhook':
      return {
        label: 'notifications.field.webhookSecret',
        hint: 'notifications.hint.webhookSecret',
      }
    case 'dingtalk':
      return { label: 'notifications.field.robotSecret', hint: 'notifications.hint.dingtalkSecret' }
    case 'feishu':
      return { label: 'notifications.field.robotSecret', hint: 'notifications.hint.feishuSecret' }
    case 'wecom':
      return null
    case 'telegram':
      return { label: 'notifications.field.botToken', hint: 'notifications.hint.botToken' }
  }
}

/** A field the server names in a 400 (`url`, `body.events.2`), in the form's words. */
export function issueFieldName(t: Translate, kind: NotificationKind, field: string): string {
  const name = field.split('.').find((part) => part !== 'body') ?? field
  switch (name as DraftField | 'label' | 'language' | 'kind' | 'enabled') {
    case 'url':
      return t(urlWords(kind).label)
    case 'secret':
      return t(secretWords(kind)?.label ?? 'notifications.field.webhookSecret')
    case 'chatId':
      return t('notifications.field.chatId')
    case 'events':
      return t('notifications.field.events')
    case 'label':
      return t('notifications.field.label')
    case 'language':
      return t('notifications.field.language')
    case 'kind':
      return t('notifications.field.kind')
    case 'enabled':
      return t('notifications.field.enabled')
    default:
      return field
  }
}
