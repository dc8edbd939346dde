import type { KeyView } from '@sfp/schemas'
import { type FormEvent, useId, useState } from 'react'
import { ErrorNotice } from '../../components/ErrorNotice.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import { useKeyPatch } from './useKeyPatch.js'

export function KeyLabelForm({ keyView: key }: { keyView: KeyView }) {
  const { t } = useI18n()
  const { busy, error, save: saveKey } = useKeyPatch(key.id)
  const id = useId()
  const [label, setLabel] = useState(key.label ?? '')

  async function save(event: FormEvent) {
    event.preventDefault()
    const trimmed = label.trim()
    await saveKey({ label: trimmed === '' ? null : trimmed }, t('key.labelSaved'))
  }

  return (
    <form className="inline-form" onSubmit={save}>
      <label htmlFor={id}>{t('key.label')}</label>
      <input
        id={id}
        className="input"
        maxLength={100}
        value={label}
        onChange={(event) => setLabel(event.target.value)}
      />
      <button
        type="submit"
        className="button"
        disabled={busy || label.trim() === (key.label ?? '')}
      >
        {t('common.save')}
      </button>
      <ErrorNotice error={error} />
    </form>
  )
}
