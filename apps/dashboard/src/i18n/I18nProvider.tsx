import {
  createContext,
  type ReactNode,
  use,
  useCallback,
  useEffect,
  useMemo,
  useState,
} from 'react'
import { type MessageKey, type MessageValues, type Translate, translate } from './catalog.js'
import { createFormatters, type Formatters } from './format.js'
import { type Language, loadLanguage, localeOf, saveLanguage } from './language.js'

export interface I18n {
  language: Language
  setLanguage(language: Language): void
  t: Translate
  format: Formatters
}

const I18nContext = createContext<I18n | null>(null)

export function I18nProvider({
  children,
  initialLanguage,
}: {
  children: ReactNode
  initialLanguage?: Language
}) {
  const [language, setLanguageState] = useState<Language>(() => initialLanguage ?? loadLanguage())

  const setLanguage = useCallback((next: Language) => {
    saveLanguage(next)
    setLanguageState(next)
  }, [])

  useEffect(() => {
    document.documentElement.lang = localeOf(language)
  }, [language])

  const value = useMemo<I18n>(
    () => ({
      language,
      setLanguage,
      t: (key: MessageKey, values?: MessageValues) => translate(language, key, values),
      format: createFormatters(language),
    }),
    [language, setLanguage],
  )
  return <I18nContext value={value}>{children}</I18nContext>
}

export function useI18n(): I18n {
  const i18n = use(I18nContext)
  if (!i18n) throw new Error('useI18n needs an <I18nProvider> above it')
  return i18n
}
