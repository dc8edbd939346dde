import { useId } from 'react'
import type { MessageKey } from '../../i18n/catalog.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import type { LimitField, LimitProblems, LimitsDraft } from './client-key-draft.js'

interface FieldSpec {
  field: LimitField
  label: MessageKey
  hint?: MessageKey
  kind: 'lines' | 'datetime' | 'integer' | 'money' | 'text'
}

const FIELDS: readonly FieldSpec[] = [
  {
    field: 'models',
    label: 'clientKeys.limit.models',
    hint: 'clientKeys.limit.modelsHint',
    kind: 'lines',
  },
  {
    field: 'expiresAt',
    label: 'clientKeys.limit.expiresAt',
    hint: 'clientKeys.limit.expiresAtHint',
    kind: 'datetime',
  },
  { field: 'rpm', label: 'clientKeys.limit.rpm', kind: 'integer' },
  {
    field: 'dailyRequests',
    label: 'clientKeys.limit.dailyRequests',
    hint: 'clientKeys.limit.dailyHint',
    kind: 'integer',
  },
  {
    field: 'dailyTokens',
    label: 'clientKeys.limit.dailyTokens',
    hint: 'clientKeys.limit.dailyHint',
    kind: 'integer',
  },
  { field: 'monthlySpendCny', label: 'clientKeys.limit.monthlySpendCny', kind: 'money' },
  {
    field: 'allowedIps',
    label: 'clientKeys.limit.allowedIps',
    hint: 'clientKeys.limit.allowedIpsHint',
    kind: 'lines',
  },
  { field: 'note', label: 'clientKeys.limit.note', kind: 'text' },
]

/** The limit fields of the create form and the edit dialog; an empty field is no limit. */
export function LimitsFields({
  draft,
  problems,
  onChange,
}: {
  draft: LimitsDraft
  problems: LimitProblems
  onChange(next: LimitsDraft): void
}) {
  const { t, language } = useI18n()
  const id = useId()

  return (
    <div className="limits-fields">
      <p className="field__hint limits-fields__all">{t('clientKeys.limitsHint')}</p>
      {FIELDS.map(({ field, label, hint, kind }) => {
        const inputId = `${id}-${field}`
        const problem = problems[field]
        const describedBy =
          [hint ? `${inputId}-hint` : '', problem ? `${inputId}-problem` : '']
            .filter(Boolean)
            .join(' ') || undefined
        const common = {
          id: inputId,
          'aria-invalid': problem !== undefined,
          'aria-describedby': describedBy,
          value: draft[field],
          onChange: (event: { target: { value: string } }) =>
            onChange({ ...draft, [field]: event.target.value }),
        }
        return (
          <div
            key={field}
            className={`field${kind === 'lines' || kind === 'text' ? ' limits-fields__wide' : ''}`}
          >
            <label htmlFor={inputId}>{t(label)}</label>
            {kind === 'lines' ? (
              <textarea
                {...common}
                className="input input--mono"
                rows={3}
                spellCheck={false}
                autoCapitalize="off"
              />
            ) : (
              <input
                {...common}
                className={`input${kind === 'text' ? '' : ' input--mono'}`}
                type={kind === 'datetime' ? 'datetime-local' : 'text'}
                inputMode={
                  kind === 'integer' ? 'numeric' : kind === 'money' ? 'decimal' : undefined
                }
                maxLength={kind === 'text' ? 500 : undefined}
                autoComplete="off"
              />
            )}
            {problem && (
              <p id={`${inputId}-problem`} className="field__error">
                {problem[language]}
              </p>
            )}
            {hint && (
              <p id={`${inputId}-hint`} className="field__hint">
                {t(hint)}
              </p>
            )}
          </div>
        )
      })}
    </div>
  )
}
