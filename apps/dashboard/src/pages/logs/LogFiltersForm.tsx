import { type FormEvent, useId, useState } from 'react'
import { useI18n } from '../../i18n/I18nProvider.js'
import { EMPTY_LOG_FILTERS, LOG_RANGES, type LogFilters, logFilterProblems } from './log-filters.js'

const STATUS_SUGGESTIONS = [
  '2xx',
  '4xx',
  '5xx',
  'error',
  '400',
  '401',
  '402',
  '403',
  '429',
  '500',
  '502',
  '503',
  '504',
]

interface LogFiltersFormProps {
  initial: LogFilters
  onApply(filters: LogFilters): void
}

/** The filters are applied on submit (Enter or the button), not on every keystroke. */
export function LogFiltersForm({ initial, onApply }: LogFiltersFormProps) {
  const { t } = useI18n()
  const id = useId()
  const [filters, setFilters] = useState(initial)
  const [submitted, setSubmitted] = useState(false)
  const problems = submitted ? logFilterProblems(filters) : []
  const set = (patch: Partial<LogFilters>) => setFilters((current) => ({ ...current, ...patch }))

  function submit(event: FormEvent) {
    event.preventDefault()
    setSubmitted(true)
    if (logFilterProblems(filters).length === 0) onApply(filters)
  }

  function reset() {
    setFilters(EMPTY_LOG_FILTERS)
    setSubmitted(false)
    onApply(EMPTY_LOG_FILTERS)
  }

  const invalid = (field: 'keyId' | 'status' | 'range') => problems.includes(field)
  return (
    <form className="filters-form" onSubmit={submit} aria-label={t('logs.filters')}>
      <div className="field">
        <label htmlFor={`${id}-key`}>{t('logs.keyId')}</label>
        <input
          id={`${id}-key`}
          className="input"
          inputMode="numeric"
          value={filters.keyId}
          aria-invalid={invalid('keyId')}
          aria-describedby={invalid('keyId') ? `${id}-key-error` : undefined}
          onChange={(event) => set({ keyId: event.target.value })}
        />
        {invalid('keyId') && (
          <p id={`${id}-key-error`} className="field__error">
            {t('logs.invalid.keyId')}
          </p>
        )}
      </div>
      <div className="field">
        <label htmlFor={`${id}-status`}>{t('logs.status')}</label>
        <input
          id={`${id}-status`}
          className="input"
          list={`${id}-statuses`}
          value={filters.status}
          aria-invalid={invalid('status')}
          aria-describedby={`${id}-status-hint${invalid('status') ? ` ${id}-status-error` : ''}`}
          onChange={(event) => set({ status: event.target.value })}
        />
        <datalist id={`${id}-statuses`}>
          {STATUS_SUGGESTIONS.map((value) => (
            <option key={value} value={value} />
          ))}
        </datalist>
        <p id={`${id}-status-hint`} className="field__hint">
          {t('logs.statusHint')}
        </p>
        {invalid('status') && (
          <p id={`${id}-status-error`} className="field__error">
            {t('logs.invalid.status')}
          </p>
        )}
      </div>
      <div className="field">
        <label htmlFor={`${id}-model`}>{t('logs.model')}</label>
        <input
          id={`${id}-model`}
          className="input"
          value={filters.model}
          spellCheck={false}
          onChange={(event) => set({ model: event.target.value })}
        />
      </div>
      <div className="field">
        <label htmlFor={`${id}-range`}>{t('logs.range')}</label>
        <select
          id={`${id}-range`}
          className="select"
          value={filters.range}
          onChange={(event) =>
            set({ range: LOG_RANGES.find((r) => r === event.target.value) ?? 'all' })
          }
        >
          {LOG_RANGES.map((range) => (
            <option key={range} value={range}>
              {t(`logs.range.${range}`)}
            </option>
          ))}
        </select>
      </div>
      {filters.range === 'custom' && (
        <>
          <div className="field">
            <label htmlFor={`${id}-from`}>{t('logs.from')}</label>
            <input
              id={`${id}-from`}
              className="input"
              type="datetime-local"
              value={filters.from}
              aria-invalid={invalid('range')}
              onChange={(event) => set({ from: event.target.value })}
            />
          </div>
          <div className="field">
            <label htmlFor={`${id}-to`}>{t('logs.to')}</label>
            <input
              id={`${id}-to`}
              className="input"
              type="datetime-local"
              value={filters.to}
              aria-invalid={invalid('range')}
              aria-describedby={invalid('range') ? `${id}-range-error` : undefined}
              onChange={(event) => set({ to: event.target.value })}
            />
            {invalid('range') && (
              <p id={`${id}-range-error`} className="field__error">
                {t('logs.invalid.range')}
              </p>
            )}
          </div>
        </>
      )}
      <div className="button-row filters-form__buttons">
        <button type="submit" className="button button--primary">
          {t('logs.apply')}
        </button>
        <button type="button" className="button" onClick={reset}>
          {t('logs.reset')}
        </button>
      </div>
    </form>
  )
}
