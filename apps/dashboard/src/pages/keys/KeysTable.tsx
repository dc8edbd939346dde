import type { KeyView } from '@sfp/schemas'
import { useVirtualizer } from '@tanstack/react-virtual'
import { useEffect, useMemo, useRef } from 'react'
import { useI18n } from '../../i18n/I18nProvider.js'
import { KeyRow } from './KeyRow.js'
import type { KeySelection } from './useKeySelection.js'

/** Must match `.key-row { height }` in pages.css. */
export const KEY_ROW_HEIGHT = 56
const COLUMNS = 10

interface KeysTableProps {
  keys: readonly KeyView[]
  selection: KeySelection
  onManage(id: number): void
  /** Egress labels by id (from the live status); without them a lane shows as `出口 #id`. */
  egressLabels?: ReadonlyMap<number, string | null>
}

/**
 * A real <table> (so screen readers get rows and headers) where only the rows in view exist:
 * spacer rows above and below stand in for the rest, so 10,000 keys scroll smoothly.
 */
export function KeysTable({ keys, selection, onManage, egressLabels }: KeysTableProps) {
  const { t } = useI18n()
  const scrollRef = useRef<HTMLElement>(null)
  const virtualizer = useVirtualizer({
    count: keys.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => KEY_ROW_HEIGHT,
    overscan: 12,
    initialRect: { width: 1000, height: 600 },
  })
  const rows = virtualizer.getVirtualItems()
  const padTop = rows[0]?.start ?? 0
  const padBottom = virtualizer.getTotalSize() - (rows[rows.length - 1]?.end ?? 0)

  const allIds = useMemo(() => keys.map((key) => key.id), [keys])
  const selectedHere = useMemo(
    () => allIds.filter((id) => selection.has(id)).length,
    [allIds, selection],
  )
  const headerCheckbox = useRef<HTMLInputElement>(null)
  useEffect(() => {
    if (headerCheckbox.current) {
      headerCheckbox.current.indeterminate = selectedHere > 0 && selectedHere < allIds.length
    }
  }, [selectedHere, allIds.length])

  return (
    <section
      ref={scrollRef}
      className="table-scroll table-scroll--keys"
      // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
      tabIndex={0}
      aria-label={t('keys.title')}
    >
      <table className="table keys-table" aria-rowcount={keys.length + 1}>
        <thead>
          <tr aria-rowindex={1}>
            <th scope="col" className="key-row__check">
              <input
                ref={headerCheckbox}
                type="checkbox"
                checked={allIds.length > 0 && selectedHere === allIds.length}
                onChange={() => selection.toggleAll(allIds)}
                aria-label={t('col.selectAll', { count: allIds.length })}
              />
            </th>
            <th scope="col">{t('col.key')}</th>
            <th scope="col">{t('col.status')}</th>
            <th scope="col">{t('col.egress')}</th>
            <th scope="col" className="num">
              {t('col.balance')}
            </th>
            <th scope="col" className="num">
              {t('col.calls')}
            </th>
            <th scope="col" className="num">
              {t('col.errors')}
            </th>
            <th scope="col">{t('col.lastError')}</th>
            <th scope="col">{t('col.lastUsed')}</th>
            <th scope="col">{t('col.added')}</th>
          </tr>
        </thead>
        <tbody>
          {padTop > 0 && (
            <tr className="spacer-row">
              <td colSpan={COLUMNS} style={{ height: padTop }} />
            </tr>
          )}
          {rows.map((row) => {
            const key = keys[row.index]
            if (!key) return null
            return (
              <KeyRow
                key={key.id}
                keyView={key}
                rowIndex={row.index + 2}
                selected={selection.has(key.id)}
                onToggle={selection.toggle}
                onManage={onManage}
                egressLabel={
                  key.egressId === null ? null : (egressLabels?.get(key.egressId) ?? null)
                }
              />
            )
          })}
          {padBottom > 0 && (
            <tr className="spacer-row">
              <td colSpan={COLUMNS} style={{ height: padBottom }} />
            </tr>
          )}
        </tbody>
      </table>
    </section>
  )
}
