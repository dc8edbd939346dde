import { KEY_STATUS_LABELS, KEY_STATUSES, type KeyStatus } from '@sfp/schemas'
import { useI18n } from '../../i18n/I18nProvider.js'
import type { KeyStatusFilter } from './key-filter.js'

interface KeyStateFilterProps {
  value: KeyStatusFilter
  counts: Record<KeyStatus, number>
  total: number
  onChange(value: KeyStatusFilter): void
}

/** Toggle buttons, one per state with its count (pressed = the shown state). */
export function KeyStateFilter({ value, counts, total, onChange }: KeyStateFilterProps) {
  const { t, language, format } = useI18n()
  const options: { value: KeyStatusFilter; label: string; count: number }[] = [
    { value: 'all', label: t('filter.all'), count: total },
    ...KEY_STATUSES.map((status) => ({
      value: status,
      label: KEY_STATUS_LABELS[status][language],
      count: counts[status],
    })),
  ]
  return (
    <fieldset className="segmented segmented--wrap">
      <legend className="sr-only">{t('filter.label')}</legend>
      {options.map((option) => (
        <button
          key={option.value}
          type="button"
          className={`segmented__option segmented__option--${option.value}`}
          aria-pressed={value === option.value}
          onClick={() => onChange(option.value)}
        >
          {option.label} <span className="segmented__count">{format.number(option.count)}</span>
        </button>
      ))}
    </fieldset>
  )
}
