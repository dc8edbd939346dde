/** Chinese first (the users are in China), English second. */
export const LANGUAGES = ['zh', 'en'] as const
export type Language = (typeof LANGUAGES)[number]

const STORAGE_KEY = 'sfp.language'

export function loadLanguage(): Language {
  try {
    return localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'zh'
  } catch {
    return 'zh'
  }
}

export function saveLanguage(language: Language): void {
  try {
    localStorage.setItem(STORAGE_KEY, language)
  } catch {
    // Storage disabled: the choice lasts until reload.
  }
}

/** For `<html lang>` and Intl formatters. */
export function localeOf(language: Language): string {
  return language === 'zh' ? 'zh-CN' : 'en'
}
