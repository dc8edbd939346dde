import type { KeyView } from '@sfp/schemas'
import { memo } from 'react'
import { egressName } from '../../components/egress-name.js'
import { RelativeTime } from '../../components/RelativeTime.js'
import { StatusBadge } from '../../components/StatusBadge.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import { useExplain } from '../../i18n/useExplain.js'

interface KeyRowProps {
  keyView: KeyView
  selected: boolean
  /** 1-based position in the whole table, for screen readers (only some rows exist). */
  rowIndex: number
  onToggle(id: number): void
  onManage(id: number): void
  /** The label of the key's egress lane, if it has one. */
  egressLabel?: string | null
}

/** One row of the virtualized keys table; fixed height (see `.key-row` in pages.css). */
export const KeyRow = memo(function KeyRow({
  keyView: key,
  selected,
  rowIndex,
  onToggle,
  onManage,
  egressLabel = null,
}: KeyRowProps) {
  const { t, format } = useI18n()
  const lastError = useExplain()(key.lastErrorDetail, key.lastError)
  return (
    <tr className={`key-row ${selected ? 'key-row--selected' : ''}`} aria-rowindex={rowIndex}>
      <td className="key-row__check">
        <input
          type="checkbox"
          checked={selected}
          onChange={() => onToggle(key.id)}
          aria-label={t('col.selectKey', { id: key.id })}
        />
      </td>
      <td className="key-row__key">
        {/* The key itself opens its actions: reachable without scrolling sideways on a phone. */}
        <button
          type="button"
          className="link-button key-row__open"
          onClick={() => onManage(key.id)}
          aria-label={t('key.manageLabel', { id: key.id, key: key.maskedKey })}
        >
          <code>{key.maskedKey}</code>
        </button>
        {key.isCurrent && <span className="tag tag--current">{t('key.inUse')}</span>}
        <span className="key-row__sub">
          #{key.id}
          {key.label && <> · {key.label}</>}
        </span>
      </td>
      <td>
        <StatusBadge status={key.status} />
        {key.cooldownUntil && Date.parse(key.cooldownUntil) > Date.now() && (
          <span className="key-row__sub">
            {t('key.coolingUntil', { time: format.dateTime(key.cooldownUntil) })}
            {key.rateLimitClass && <> · {t(`key.rateLimit.${key.rateLimitClass}`)}</>}
          </span>
        )}
      </td>
      <td className="key-row__egress">
        {key.egressId === null ? (
          <span className="muted">—</span>
        ) : (
          <>
            {egressName(t, { id: key.egressId, label: egressLabel })}
            {egressLabel?.trim() && <span className="key-row__sub">#{key.egressId}</span>}
          </>
        )}
      </td>
      <td className="num">
        {key.balance === null ? (
          <span className="muted">{t('common.unknown')}</span>
        ) : (
          format.money(key.balance)
        )}
        {key.balanceCheckedAt && (
          <span className="key-row__sub">
            <RelativeTime iso={key.balanceCheckedAt} />
          </span>
        )}
        {key.spent !== null && key.estimatedBalance !== null && (
          <span className="key-row__sub" title={t('key.estimateHint')}>
            {t('key.estimated', { money: format.money(key.estimatedBalance) })}
          </span>
        )}
      </td>
      <td className="num">{format.number(key.callCount)}</td>
      <td className="num">
        {format.number(key.errorCount)}
        {key.consecutiveErrors > 0 && (
          <span className="key-row__sub">
            {t('key.consecutive', { count: key.consecutiveErrors })}
          </span>
        )}
      </td>
      <td className="key-row__error" title={lastError ?? undefined}>
        {lastError ?? <span className="muted">—</span>}
      </td>
      <td>
        <RelativeTime iso={key.lastUsedAt} />
      </td>
      <td>{format.dateTime(key.createdAt)}</td>
    </tr>
  )
})
