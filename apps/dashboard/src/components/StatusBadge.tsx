import { KEY_STATUS_LABELS, type KeyStatus } from '@sfp/schemas'
import { useI18n } from '../i18n/I18nProvider.js'

/**
 * A key state with its dashboard labels of docs/behaviour.md §4 (正常, 限流冷却, 欠费, 无效, 错误,
 * 已停用).
 */
export function StatusBadge({ status }: { status: KeyStatus }) {
  const { language } = useI18n()
  return <span className={`badge badge--${status}`}>{KEY_STATUS_LABELS[status][language]}</span>
}
