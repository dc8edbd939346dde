import { USAGE_RANGES, type UsageRange } from '../hooks/useUsageStats.js'
import { useI18n } from '../i18n/I18nProvider.js'

/** The 24 hours / 7 days switch above usage charts. */
export function UsageRangeSwitch({
  range,
  onChange,
}: {
  range: UsageRange
  onChange(range: UsageRange): void
}) {
  const { t } = useI18n()
  return (
    <fieldset className="segmented">
      <legend className="sr-only">{t('usage.range')}</legend>
      {USAGE_RANGES.map((option) => (
        <button
          key={option}
          type="button"
          className="segmented__option"
          aria-pressed={range === option}
          onClick={() => onChange(option)}
        >
          {t(`usage.${option}`)}
        </button>
      ))}
    </fieldset>
  )
}
