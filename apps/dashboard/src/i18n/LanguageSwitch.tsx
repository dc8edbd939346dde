import { useI18n } from './I18nProvider.js'

/** One button that names the other language in that language, so either reader can find it. */
export function LanguageSwitch() {
  const { language, setLanguage, t } = useI18n()
  const other = language === 'zh' ? 'en' : 'zh'
  return (
    <button
      type="button"
      className="button button--ghost"
      onClick={() => setLanguage(other)}
      aria-label={t('language.switchTo')}
      lang={other === 'zh' ? 'zh-CN' : 'en'}
    >
      {t('language.other')}
    </button>
  )
}
