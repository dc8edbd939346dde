import { useId, useState } from 'react'
import { useI18n } from '../i18n/I18nProvider.js'
import {
  applyThemePreference,
  loadThemePreference,
  saveThemePreference,
  THEME_PREFERENCES,
  type ThemePreference,
} from './theme-preference.js'

const LABEL_KEYS = { system: 'theme.system', light: 'theme.light', dark: 'theme.dark' } as const

export function ThemeSwitch() {
  const { t } = useI18n()
  const id = useId()
  const [preference, setPreference] = useState<ThemePreference>(loadThemePreference)

  function choose(next: ThemePreference) {
    setPreference(next)
    saveThemePreference(next)
    applyThemePreference(next)
  }

  return (
    <span className="theme-switch">
      <label htmlFor={id} className="sr-only">
        {t('theme.label')}
      </label>
      <select
        id={id}
        className="select select--compact"
        value={preference}
        onChange={(event) => {
          const value = THEME_PREFERENCES.find((option) => option === event.target.value)
          if (value) choose(value)
        }}
      >
        {THEME_PREFERENCES.map((option) => (
          <option key={option} value={option}>
            {t(LABEL_KEYS[option])}
          </option>
        ))}
      </select>
    </span>
  )
}
