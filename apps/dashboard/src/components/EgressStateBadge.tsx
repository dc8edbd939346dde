import { EGRESS_STATE_LABELS, type EgressState } from '@sfp/schemas'
import { useI18n } from '../i18n/I18nProvider.js'

/**
 * An egress (lane) state (docs/behaviour.md §8) with its dashboard labels (正常, 不通, IP 被封,
 * 已停用).
 */
export function EgressStateBadge({ state }: { state: EgressState }) {
  const { language } = useI18n()
  return (
    <span className={`badge badge--lane-${state}`}>{EGRESS_STATE_LABELS[state][language]}</span>
  )
}
